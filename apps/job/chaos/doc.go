// Package chaos holds the process-level chaos test of libgossip-job (issue
// 14): five real libgossip-job processes on 127.0.0.1, jobs whose shell
// command appends (job, scheduled time, node) to a sink file, the leader
// killed with SIGKILL every 10 s and restarted from its data, and one
// executor stopped with SIGSTOP mid-run. It has no code outside its tests;
// run it with LIBGOSSIP_CHAOS=1 (make job-chaos). See docs/job.md.
package chaos
