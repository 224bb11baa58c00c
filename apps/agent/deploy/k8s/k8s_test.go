package k8s

import (
	"bytes"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

type manifest struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		ClusterIP                string `yaml:"clusterIP"`
		PublishNotReadyAddresses bool   `yaml:"publishNotReadyAddresses"`
		Selector                 struct {
			App         string            `yaml:"app"`
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Ports []struct {
			Port     int    `yaml:"port"`
			Protocol string `yaml:"protocol"`
		} `yaml:"ports"`
		ServiceName    string `yaml:"serviceName"`
		Replicas       int    `yaml:"replicas"`
		MaxUnavailable int    `yaml:"maxUnavailable"`
		Template       struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec struct {
				Containers []struct {
					Args           []string `yaml:"args"`
					ReadinessProbe struct {
						HTTPGet struct {
							Path string `yaml:"path"`
							Port string `yaml:"port"`
						} `yaml:"httpGet"`
					} `yaml:"readinessProbe"`
					Ports []struct {
						Name          string `yaml:"name"`
						ContainerPort int    `yaml:"containerPort"`
					} `yaml:"ports"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

func load(t *testing.T) map[string]manifest {
	b, err := os.ReadFile("agent.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]manifest{}
	d := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var m manifest
		if err := d.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		out[m.Kind] = m
	}
	return out
}

func TestManifests(t *testing.T) {
	ms := load(t)
	svc, ok := ms["Service"]
	if !ok || svc.Spec.ClusterIP != "None" || !svc.Spec.PublishNotReadyAddresses {
		t.Fatalf("want a headless Service with publishNotReadyAddresses: %+v", svc.Spec)
	}
	var udp, tcp bool
	for _, p := range svc.Spec.Ports {
		udp = udp || (p.Port == 7946 && p.Protocol == "UDP")
		tcp = tcp || (p.Port == 7946 && p.Protocol == "TCP")
	}
	if !udp || !tcp {
		t.Errorf("service must expose 7946 over UDP and TCP")
	}
	ss, ok := ms["StatefulSet"]
	if !ok || ss.Spec.ServiceName != svc.Metadata.Name || len(ss.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("want a StatefulSet governed by the headless Service")
	}
	if ss.Spec.Template.Metadata.Labels["app"] != svc.Spec.Selector.App {
		t.Errorf("service selector does not select the pods")
	}
	c := ss.Spec.Template.Spec.Containers[0]
	if c.Args[0] != "agent" {
		t.Errorf("args %v: want the agent command", c.Args)
	}
	wantSeed := "-join=dns+" + svc.Metadata.Name + "."
	if !slices.ContainsFunc(c.Args, func(a string) bool { return strings.HasPrefix(a, wantSeed) && strings.HasSuffix(a, ":7946") }) {
		t.Errorf("args %v: want a %s...:7946 seed", c.Args, wantSeed)
	}
	for _, want := range []string{"-bind=0.0.0.0:7946", "-http-addr=0.0.0.0:8946", "-advertise=$(POD_IP)"} {
		if !slices.Contains(c.Args, want) {
			t.Errorf("args lack %s", want)
		}
	}
	if c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("readiness probe on %q, want /readyz", c.ReadinessProbe.HTTPGet.Path)
	}
	httpPort := false
	for _, p := range c.Ports {
		httpPort = httpPort || (p.Name == c.ReadinessProbe.HTTPGet.Port && p.ContainerPort == 8946)
	}
	if !httpPort {
		t.Errorf("readiness probe port %q is not the HTTP port 8946", c.ReadinessProbe.HTTPGet.Port)
	}
	pdb, ok := ms["PodDisruptionBudget"]
	if !ok || pdb.Spec.MaxUnavailable != 1 || pdb.Spec.Selector.MatchLabels["app"] != svc.Spec.Selector.App {
		t.Errorf("want a PodDisruptionBudget with maxUnavailable 1 over the pods: %+v", pdb.Spec)
	}
}
