package model

// TaskCounts returns, per service ID, the tasks running now and the tasks
// desired to run, as `docker service ls` counts them, in one pass.
func (s *SwarmSnapshot) TaskCounts() (running, desired map[string]int) {
	running = make(map[string]int, len(s.Services))
	desired = make(map[string]int, len(s.Services))
	for i := range s.Tasks {
		t := &s.Tasks[i]
		if t.DesiredState == "running" {
			desired[t.ServiceID]++
		}
		if t.State == "running" {
			running[t.ServiceID]++
		}
	}
	return running, desired
}
