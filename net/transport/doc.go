// Package transport holds what libgossip's IP transports share: their
// options, their errors and the advertise-address rule. The transports
// themselves live in the subpackages udp, tcp and hybrid; most programs
// build one through the factory in the parent package (net.New) instead.
//
// Options are plain values: each With function returns an Option that a
// transport's New applies over the defaults listed in Defaults.
package transport
