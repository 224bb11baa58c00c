// Package clock provides a hybrid logical clock and a clock offset estimator.
//
// # Hybrid logical clock
//
// [HLC] implements the hybrid logical clock of Kulkarni, Demirbas, Madappa,
// Avva and Leone ("Logical Physical Clocks", OPODIS 2014). A [Timestamp] is a
// physical part (nanoseconds since the Unix epoch, never behind the highest
// physical time seen) and a logical counter that orders events within one
// physical tick. Timestamps respect causality like Lamport clocks and stay
// within the clock skew of physical time.
//
// The caller's obligations: stamp each local or send event with [HLC.Now];
// on every receive, pass the remote timestamp to [HLC.Update]. A remote
// timestamp more than Config.MaxSkew ahead of the local physical clock is
// refused with a [*SkewError] (which matches [ErrSkew]) and not adopted, so a
// single peer with a broken clock cannot drag the cluster's time forward.
// The physical clock is injected (Config.Physical), so tests are
// deterministic.
//
// Timestamps encode to 12 bytes ([Timestamp.MarshalBinary]) whose byte order
// is their time order. The decoder bounds its input and never panics.
//
// # Offset estimation
//
// [Estimator] estimates each peer's clock offset from round trips in the
// manner of Cristian's algorithm and NTP: for a request sent at t0 (client
// clock), received at t1 and answered at t2 (peer clock) and received back at
// t3 (client clock),
//
//	offset θ = ((t1−t0) + (t2−t3)) / 2
//	delay  δ = (t3−t0) − (t2−t1)
//
// The true offset lies within θ ± δ/2. The estimator keeps the last
// samples per peer and reports the one with the least delay, which has the
// tightest bound and is least disturbed by queuing (NTP's clock filter).
package clock
