package security

import (
	"crypto/tls"
	"crypto/x509"
)

// MutualTLS returns a *tls.Config for WithTLS in which every member presents
// cert and accepts only peers whose certificates chain to ca, in both
// directions (TLS 1.3, client certificates required). Peers are verified
// against the host part of the address dialed, so certificates need IP or
// DNS subject alternative names for the addresses members advertise.
func MutualTLS(cert tls.Certificate, ca *x509.CertPool) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      ca,
		ClientCAs:    ca,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS13,
	}
}
