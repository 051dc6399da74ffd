package model

import (
	"slices"
	"time"
)

// Stack namespace label set by `docker stack deploy`.
const StackNamespaceLabel = "com.docker.stack.namespace"

// Endpoint says which Docker Engine a snapshot came from.
type Endpoint struct {
	Host       string `json:"host"`    // e.g. unix:///var/run/docker.sock, ssh://ops@manager1
	Context    string `json:"context"` // docker context name; "default" when none is selected
	Source     string `json:"source"`  // what chose the endpoint: --host, --context, DOCKER_HOST, DOCKER_CONTEXT, config, default
	APIVersion string `json:"apiVersion,omitempty"`
}

// SwarmSnapshot is everything secretdeck reads from one swarm, at one time.
type SwarmSnapshot struct {
	Endpoint  Endpoint  `json:"endpoint"`
	ClusterID string    `json:"clusterId"`
	NodeID    string    `json:"nodeId"`   // the node the engine runs on
	NodeRole  string    `json:"nodeRole"` // manager (a worker cannot be loaded)
	LoadedAt  time.Time `json:"loadedAt"`
	Nodes     []Node    `json:"nodes"`
	Secrets   []Secret  `json:"secrets"`
	Configs   []Config  `json:"configs"`
	Services  []Service `json:"services"`
	Tasks     []Task    `json:"tasks"`
}

// Node is a swarm node.
type Node struct {
	ID           string `json:"id"`
	Hostname     string `json:"hostname"`
	Role         string `json:"role"` // manager | worker
	Leader       bool   `json:"leader,omitempty"`
	Availability string `json:"availability"`
	State        string `json:"state"`
	Addr         string `json:"addr,omitempty"`
	// EngineVersion is the Docker Engine's version on the node.
	EngineVersion string `json:"engineVersion,omitempty"`
}

// Secret is a swarm secret's metadata; Docker never returns its data.
type Secret struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	Labels    map[string]string `json:"labels,omitempty"`
	Version   uint64            `json:"version"`
	CreatedAt time.Time         `json:"createdAt"`
	UpdatedAt time.Time         `json:"updatedAt"`
	Driver    string            `json:"driver,omitempty"`
}

// Config is a swarm config. Unlike secrets, Docker returns its data.
type Config struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	Labels    map[string]string `json:"labels,omitempty"`
	Version   uint64            `json:"version"`
	CreatedAt time.Time         `json:"createdAt"`
	UpdatedAt time.Time         `json:"updatedAt"`
	Data      []byte            `json:"-"`
	Size      int               `json:"size"`
}

// FileRef is how a service mounts a secret or a config: which object, at which
// target (a file under /run/secrets/ or an absolute path), owned by whom.
type FileRef struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Target string `json:"target"`
	UID    string `json:"uid"`
	GID    string `json:"gid"`
	Mode   uint32 `json:"mode"` // permission bits, e.g. 0o444
}

// EnvVar is a plain environment variable of a service. Its value may be a
// credential passed in clear, so it is held as a Value and never printed.
type EnvVar struct {
	Name  string `json:"name"`
	Value Value  `json:"-"`
}

// ServiceSpec is the part of a service specification secretdeck reasons about.
type ServiceSpec struct {
	Image   string            `json:"image"`
	Labels  map[string]string `json:"labels,omitempty"`
	Env     []EnvVar          `json:"env,omitempty"`
	Secrets []FileRef         `json:"secrets"`
	Configs []FileRef         `json:"configs,omitempty"`
}

// UpdateConfig is how Docker rolls out a service update.
type UpdateConfig struct {
	Parallelism     uint64        `json:"parallelism"`
	Delay           time.Duration `json:"delay"`
	FailureAction   string        `json:"failureAction"`
	Monitor         time.Duration `json:"monitor"`
	MaxFailureRatio float32       `json:"maxFailureRatio"`
	Order           string        `json:"order"`
}

// UpdateStatus is the state of a service's last rollout.
type UpdateStatus struct {
	State       string    `json:"state"` // updating, paused, completed, rollback_started, rollback_paused, rollback_completed
	StartedAt   time.Time `json:"startedAt,omitzero"`
	CompletedAt time.Time `json:"completedAt,omitzero"`
	Message     string    `json:"message,omitempty"`
}

// Service is a swarm service with its current and previous specification.
type Service struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Version   uint64    `json:"version"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Stack     string    `json:"stack,omitempty"`
	Mode      string    `json:"mode"`               // replicated | global | replicated-job | global-job
	Replicas  *uint64   `json:"replicas,omitempty"` // desired, for replicated services
	// Completions is how many tasks of a replicated job must complete.
	Completions *uint64 `json:"completions,omitempty"`
	// RestartCondition is the tasks' restart policy: "any" (also when
	// empty), "on-failure" or "none" (a one-shot service).
	RestartCondition string `json:"restartCondition,omitempty"`
	// Constraints are its placement constraints (node.id==…,
	// node.hostname==…, node.labels.…): where its tasks may run.
	Constraints  []string      `json:"constraints,omitempty"`
	Spec         ServiceSpec   `json:"spec"`
	Previous     *ServiceSpec  `json:"previous,omitempty"`
	UpdateConfig *UpdateConfig `json:"updateConfig,omitempty"`
	UpdateStatus *UpdateStatus `json:"updateStatus,omitempty"`
}

// Task is one scheduled instance of a service.
type Task struct {
	ID           string    `json:"id"`
	ServiceID    string    `json:"serviceId"`
	NodeID       string    `json:"nodeId,omitempty"`
	Slot         int       `json:"slot,omitempty"`
	DesiredState string    `json:"desiredState"`
	State        string    `json:"state"`
	Message      string    `json:"message,omitempty"`
	Err          string    `json:"error,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
	SecretIDs    []string  `json:"secretIds,omitempty"`
	ConfigIDs    []string  `json:"configIds,omitempty"`
}

// IsJob reports whether the service is a job: its tasks run to completion.
func (s *Service) IsJob() bool { return s.Mode == "replicated-job" || s.Mode == "global-job" }

// RunsOnce reports whether the service's tasks end by design: a job, or a
// one-shot service (restart condition none).
func (s *Service) RunsOnce() bool { return s.IsJob() || s.RestartCondition == "none" }

// IsManager reports whether the snapshot was loaded through a manager node.
func (s *SwarmSnapshot) IsManager() bool { return s.NodeRole == "manager" }

// ReferencedSecretIDs are the secrets this service names in its Spec or its
// PreviousSpec, each once: removing one of them breaks the service, or its
// `docker service rollback` (Docker lets a secret named only by a
// PreviousSpec be removed).
func (svc *Service) ReferencedSecretIDs() []string {
	var ids []string
	add := func(refs []FileRef) {
		for _, r := range refs {
			if !slices.Contains(ids, r.ID) {
				ids = append(ids, r.ID)
			}
		}
	}
	add(svc.Spec.Secrets)
	if svc.Previous != nil {
		add(svc.Previous.Secrets)
	}
	return ids
}

// ReferencedSecretIDs are the secrets some service names in its Spec or its
// PreviousSpec: the one rule that keeps rollbacks working, used by drift,
// prune, plans and the panes alike.
func (s *SwarmSnapshot) ReferencedSecretIDs() map[string]bool {
	out := map[string]bool{}
	for i := range s.Services {
		for _, id := range s.Services[i].ReferencedSecretIDs() {
			out[id] = true
		}
	}
	return out
}
