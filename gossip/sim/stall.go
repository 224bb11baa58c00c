package sim

import "time"

// stall describes a member whose process is descheduled now and then, as
// on a machine with more work than cores: its timers fire late and what it
// receives waits, while the network runs on.
type stall struct {
	every, length time.Duration
	next          time.Time // when the next stall starts
	until         time.Time // end of the current stall
}

// SetStall makes member i stop running, on average every every (the gaps
// are exponential), for a uniform random time in [0, length) each time:
// meanwhile its ticks and the packets and streams that reach it wait until
// it runs again, then are handled in their order. Zero every or length
// removes the stalls. Draws come from the simulation's seed.
func (s *Sim) SetStall(i int, every, length time.Duration) {
	m := s.members[i]
	m.stall = stall{every: every, length: length}
	if every > 0 && length > 0 {
		m.stall.next = s.now.Add(s.gap(every))
	}
}

func (s *Sim) gap(every time.Duration) time.Duration {
	return time.Duration(s.rng.ExpFloat64() * float64(every))
}

// stalledUntil returns the end of m's stall at the current time (zero or
// past when it is running), drawing the stalls that started since.
func (s *Sim) stalledUntil(m *Member) time.Time {
	st := &m.stall
	if st.every <= 0 || st.length <= 0 {
		return time.Time{}
	}
	for !st.next.After(s.now) {
		end := st.next.Add(time.Duration(s.rng.Int64N(int64(st.length))))
		if end.After(st.until) {
			st.until = end
		}
		st.next = end.Add(s.gap(st.every))
	}
	return st.until
}
