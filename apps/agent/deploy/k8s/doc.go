// Package k8s holds the agent's Kubernetes manifests (agent.yaml) and the
// test that checks, offline, the fields the agent needs: a headless Service
// publishing not-ready addresses, a StatefulSet whose seeds point at that
// Service by dns+, readiness on /readyz, and a PodDisruptionBudget.
package k8s
