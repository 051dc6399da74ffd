package swarm

import (
	"strings"

	"github.com/moby/moby/api/types/swarm"

	"github.com/secretdeck/secretdeck/model"
)

func convertNode(n *swarm.Node) model.Node {
	out := model.Node{
		ID: n.ID, Hostname: n.Description.Hostname, Role: string(n.Spec.Role),
		Availability: string(n.Spec.Availability), State: string(n.Status.State), Addr: n.Status.Addr,
	}
	if n.ManagerStatus != nil {
		out.Leader = n.ManagerStatus.Leader
	}
	return out
}

func convertSecret(s *swarm.Secret) model.Secret {
	out := model.Secret{
		ID: s.ID, Name: s.Spec.Name, Labels: s.Spec.Labels, Version: s.Version.Index,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
	}
	if s.Spec.Driver != nil {
		out.Driver = s.Spec.Driver.Name
	}
	return out
}

func convertConfig(c *swarm.Config) model.Config {
	return model.Config{
		ID: c.ID, Name: c.Spec.Name, Labels: c.Spec.Labels, Version: c.Version.Index,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Data: c.Spec.Data, Size: len(c.Spec.Data),
	}
}

func convertService(s *swarm.Service) model.Service {
	out := model.Service{
		ID: s.ID, Name: s.Spec.Name, Version: s.Version.Index,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
		Stack: s.Spec.Labels[model.StackNamespaceLabel],
		Spec:  convertSpec(&s.Spec),
	}
	switch m := s.Spec.Mode; {
	case m.Replicated != nil:
		out.Mode, out.Replicas = "replicated", m.Replicated.Replicas
	case m.Global != nil:
		out.Mode = "global"
	case m.ReplicatedJob != nil:
		out.Mode = "replicated-job"
	case m.GlobalJob != nil:
		out.Mode = "global-job"
	}
	if s.PreviousSpec != nil {
		prev := convertSpec(s.PreviousSpec)
		out.Previous = &prev
	}
	if u := s.Spec.UpdateConfig; u != nil {
		out.UpdateConfig = &model.UpdateConfig{
			Parallelism: u.Parallelism, Delay: u.Delay, FailureAction: string(u.FailureAction),
			Monitor: u.Monitor, MaxFailureRatio: u.MaxFailureRatio, Order: string(u.Order),
		}
	}
	if u := s.UpdateStatus; u != nil {
		st := &model.UpdateStatus{State: string(u.State), Message: u.Message}
		if u.StartedAt != nil {
			st.StartedAt = *u.StartedAt
		}
		if u.CompletedAt != nil {
			st.CompletedAt = *u.CompletedAt
		}
		out.UpdateStatus = st
	}
	return out
}

func convertSpec(spec *swarm.ServiceSpec) model.ServiceSpec {
	out := model.ServiceSpec{Labels: spec.Labels, Secrets: []model.FileRef{}}
	cs := spec.TaskTemplate.ContainerSpec
	if cs == nil {
		return out
	}
	out.Image = cs.Image
	for _, kv := range cs.Env {
		name, value, _ := strings.Cut(kv, "=")
		out.Env = append(out.Env, model.EnvVar{Name: name, Value: model.NewValueString(value)})
	}
	for _, r := range cs.Secrets {
		ref := model.FileRef{ID: r.SecretID, Name: r.SecretName}
		if r.File != nil {
			ref.Target, ref.UID, ref.GID, ref.Mode = r.File.Name, r.File.UID, r.File.GID, uint32(r.File.Mode.Perm())
		}
		out.Secrets = append(out.Secrets, ref)
	}
	for _, r := range cs.Configs {
		ref := model.FileRef{ID: r.ConfigID, Name: r.ConfigName}
		if r.File != nil {
			ref.Target, ref.UID, ref.GID, ref.Mode = r.File.Name, r.File.UID, r.File.GID, uint32(r.File.Mode.Perm())
		}
		out.Configs = append(out.Configs, ref)
	}
	return out
}

func convertTask(t *swarm.Task) model.Task {
	out := model.Task{
		ID: t.ID, ServiceID: t.ServiceID, NodeID: t.NodeID, Slot: t.Slot,
		DesiredState: string(t.DesiredState), State: string(t.Status.State),
		Message: t.Status.Message, Err: t.Status.Err, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
	}
	if cs := t.Spec.ContainerSpec; cs != nil {
		for _, r := range cs.Secrets {
			out.SecretIDs = append(out.SecretIDs, r.SecretID)
		}
	}
	return out
}
