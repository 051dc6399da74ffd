package cli

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/secretdeck/secretdeck/azkv"
	"github.com/secretdeck/secretdeck/internal/report"
	"github.com/secretdeck/secretdeck/model"
)

type statusOptions struct {
	json bool
}

func newStatusCommand(global *globalOptions) *cobra.Command {
	opts := &statusOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the swarm's services, secrets and configs, and the property files of an environment",
		Long: `Show what secretdeck sees: the Docker endpoint, the swarm and this node's role,
every service with the secrets it mounts (target, uid, gid, mode), every config
(its logical config, size, users, and whether it holds the source's bytes), and
every property file and config file of the environment with its keys. Values
are never shown.

A property file that cannot be parsed is listed with its file and line; the
others still load. Exit code 1 with one line on stderr when the engine cannot
be reached, is not a swarm manager, or the source cannot be read.`,
		Example: `  secretdeck status --source s3://ops-config/services --env prod
  secretdeck status --json --source ./examples/props --env dev | jq '.services[].secrets'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w, err := loadWorld(cmd.Context(), global)
			if err != nil {
				return err
			}
			report := newStatusReport(w)
			if opts.json {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(report)
			}
			return report.writeText(cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&opts.json, "json", false, "print the status as JSON (schema in the README)")
	return cmd
}

// statusReport is the stable shape of `status --json`.
type statusReport struct {
	Endpoint model.Endpoint  `json:"endpoint"`
	Swarm    swarmSummary    `json:"swarm"`
	Services []serviceStatus `json:"services"`
	// Secrets says, for each secret, what it is a version of and how its
	// value compares with the source (and by which evidence).
	Secrets []secretStatus `json:"secrets"`
	// Configs says, for each config, what it is a version of, who mounts
	// it, and whether its content is the source's (compared byte for byte).
	Configs []configStatus `json:"configs"`
	Source  *sourceStatus  `json:"source"` // null without --source
}

type configStatus struct {
	Name       string `json:"name"`
	Logical    string `json:"logical"`
	Version    int    `json:"version"`
	Size       int    `json:"size"`
	Templating string `json:"templating,omitempty"`
	Users      int    `json:"users"` // services whose Spec or PreviousSpec names it
	// Source is match or differs (what the service mounting it at a
	// desired target should hold), undeclared, or not-checked (no --source).
	Source string `json:"source"`
}

type secretStatus struct {
	Name    string `json:"name"`
	Logical string `json:"logical"`
	Version int    `json:"version"`
	// Fingerprint is match, differs, unknown, no-key, other-key, or
	// undeclared (no source entry declares it) and not-checked (no --source).
	Fingerprint string `json:"fingerprint"`
	// Evidence is what the value was compared by: fingerprint
	// (secretdeck's keyed label), ansible (Ansible's ansible_key), or "".
	Evidence string `json:"evidence,omitempty"`
}

type swarmSummary struct {
	ClusterID string `json:"clusterId"`
	NodeID    string `json:"nodeId"`
	NodeRole  string `json:"nodeRole"`
	Nodes     int    `json:"nodes"`
	Managers  int    `json:"managers"`
	// Down counts the nodes that are not ready (down, unknown,
	// disconnected): their tasks cannot run.
	Down     int `json:"down"`
	Secrets  int `json:"secrets"`
	Configs  int `json:"configs"`
	Services int `json:"services"`
	Tasks    int `json:"tasks"`
}

type serviceStatus struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Stack       string          `json:"stack,omitempty"`
	Mode        string          `json:"mode"`
	Running     int             `json:"running"`
	Desired     int             `json:"desired"`
	UpdateState string          `json:"updateState,omitempty"`
	Secrets     []model.FileRef `json:"secrets"`
	Configs     []model.FileRef `json:"configs"`
}

type sourceStatus struct {
	URI          string             `json:"uri"`
	Backend      string             `json:"backend"` // s3, folder or azkv
	Env          string             `json:"env"`
	Environments []string           `json:"environments"`
	Files        []fileStatus       `json:"files"`
	Configs      []model.ConfigFile `json:"configs"`
	Ignored      []string           `json:"ignored,omitempty"`
	// Binding says whether the environment is bound to this swarm.
	Binding      string `json:"binding"`
	BindingHolds bool   `json:"bindingHolds"`
}

type fileStatus struct {
	Key          string            `json:"key"`
	Service      string            `json:"service"`
	Format       model.Format      `json:"format"`
	ETag         string            `json:"etag,omitempty"`
	VersionID    string            `json:"versionId,omitempty"`
	LastModified string            `json:"lastModified"`
	Size         int64             `json:"size"`
	Keys         []string          `json:"keys"`
	Error        *model.ParseError `json:"error,omitempty"`
	// Via says how the values were obtained: plain (as stored), sops+age
	// (decrypted in memory), azkv (fetched from Key Vault).
	Via string `json:"via"`
	// Delivery says how the file's values reach its service, and why.
	Delivery *model.Delivery `json:"delivery,omitempty"`
}

func newStatusReport(w *world) statusReport {
	s := w.swarm
	r := statusReport{Endpoint: s.Endpoint, Services: []serviceStatus{}}
	r.Swarm = swarmSummary{
		ClusterID: s.ClusterID, NodeID: s.NodeID, NodeRole: s.NodeRole,
		Nodes: len(s.Nodes), Secrets: len(s.Secrets), Configs: len(s.Configs),
		Services: len(s.Services), Tasks: len(s.Tasks),
	}
	for _, n := range s.Nodes {
		if n.State != "ready" {
			r.Swarm.Down++
		}
		if n.Role == "manager" {
			r.Swarm.Managers++
		}
	}
	running, desired := s.TaskCounts()
	for _, svc := range s.Services {
		st := serviceStatus{
			ID: svc.ID, Name: svc.Name, Stack: svc.Stack, Mode: svc.Mode,
			Running: running[svc.ID], Desired: desired[svc.ID],
			Secrets: svc.Spec.Secrets,
		}
		if st.Secrets == nil {
			st.Secrets = []model.FileRef{}
		}
		if st.Configs = svc.Spec.Configs; st.Configs == nil {
			st.Configs = []model.FileRef{}
		}
		if svc.UpdateStatus != nil {
			st.UpdateState = svc.UpdateStatus.State
		}
		r.Services = append(r.Services, st)
	}
	r.Secrets = make([]secretStatus, 0, len(s.Secrets))
	var (
		compare func(model.Secret, string) (model.FingerprintMatch, string, bool)
		drift   *model.DriftReport
	)
	if w.source != nil {
		drift = w.drift()
		compare = drift.Fingerprints(w.source.Key)
	}
	for _, sec := range s.Secrets {
		v := sec.LogicalVersion()
		st := secretStatus{Name: sec.Name, Logical: v.Logical, Version: v.N, Fingerprint: "not-checked"}
		if compare != nil {
			m, evidence, declared := compare(sec, v.Logical)
			st.Fingerprint, st.Evidence = m.String(), evidence
			if !declared {
				st.Fingerprint = "undeclared"
			}
		}
		r.Secrets = append(r.Secrets, st)
	}
	r.Configs = configStatuses(s, drift)
	if w.source != nil {
		r.Source = newSourceStatus(w.source, drift.Deliveries)
		r.Source.Binding, r.Source.BindingHolds = w.source.Manifest.Binding(w.source.Env, s.ClusterID)
	}
	return r
}

func newSourceStatus(src *model.SourceSnapshot, deliveries []model.Delivery) *sourceStatus {
	st := &sourceStatus{URI: src.URI, Backend: backendOf(src.URI), Env: src.Env, Environments: src.Envs, Files: []fileStatus{}, Configs: src.Configs, Ignored: src.Ignored}
	if st.Configs == nil {
		st.Configs = []model.ConfigFile{}
	}
	for _, f := range src.Files {
		fs := fileStatus{
			Key: f.Key, Service: f.Service, Format: f.Format, ETag: f.ETag, VersionID: f.VersionID,
			LastModified: f.LastModified.UTC().Format("2006-01-02T15:04:05Z"), Size: f.Size,
			Keys: make([]string, 0, len(f.Entries)), Error: f.Err, Via: cmp.Or(f.Via, "plain"),
		}
		for _, e := range f.Entries {
			fs.Keys = append(fs.Keys, e.Key)
		}
		for i := range deliveries {
			if deliveries[i].File == f.Key {
				fs.Delivery = &deliveries[i]
			}
		}
		st.Files = append(st.Files, fs)
	}
	return st
}

func (r statusReport) writeText(out io.Writer) error {
	w := report.NewWriter(out)
	e := r.Endpoint
	w.Printf("Docker   %s (context %s, chosen by %s, API %s)\n", e.Host, e.Context, e.Source, e.APIVersion)
	s := r.Swarm
	nodes := plural(s.Managers, "manager")
	if s.Down > 0 {
		nodes += fmt.Sprintf(", %d NOT READY", s.Down)
	}
	w.Printf("Swarm    %s · this node is a %s · %s (%s) · %s · %s · %s · %s\n",
		s.ClusterID, s.NodeRole, plural(s.Nodes, "node"), nodes, plural(s.Secrets, "secret"),
		plural(s.Configs, "config"), plural(s.Services, "service"), plural(s.Tasks, "task"))
	if r.Source == nil {
		w.Printf("Source   none (give --source s3://bucket/prefix, azkv://vault or a folder to compare with property files)\n")
	} else {
		w.Printf("Source   %s (%s) · env %s (environments: %s) · %s\n", r.Source.URI, r.Source.Backend, r.Source.Env,
			strings.Join(r.Source.Environments, ", "), r.Source.summary())
		w.Printf("Binding  %s\n", r.Source.Binding)
	}

	w.Printf("\nSERVICES\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTACK\tTASKS\tUPDATE\tSECRET\tTARGET\tUID:GID\tMODE")
	for _, svc := range r.Services {
		row := []string{svc.Name, report.Dash(svc.Stack), fmt.Sprintf("%d/%d", svc.Running, svc.Desired), report.Dash(svc.UpdateState)}
		if len(svc.Secrets) == 0 {
			fmt.Fprintln(tw, strings.Join(append(row, "-", "", "", ""), "\t"))
		}
		for i, ref := range svc.Secrets {
			if i > 0 {
				row = []string{"", "", "", ""}
			}
			fmt.Fprintln(tw, strings.Join(append(row, ref.Name, ref.Target, ref.UID+":"+ref.GID, fmt.Sprintf("%04o", ref.Mode)), "\t"))
		}
	}
	w.Flush(tw)

	if len(r.Configs) > 0 {
		w.Printf("\nCONFIGS\n")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tLOGICAL\tVERSION\tSIZE\tSERVICES\tSOURCE")
		for _, c := range r.Configs {
			name := c.Name
			if c.Templating != "" {
				name += " (template)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\n", name, report.Dash(c.Logical), c.Version, c.Size, c.Users, c.Source)
		}
		w.Flush(tw)
	}

	if r.Source != nil {
		w.Printf("\nPROPERTY FILES (%s)\n", r.Source.Env)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "FILE\tSERVICE\tFORMAT\tVIA\tVERSION\tKEYS")
		for _, f := range r.Source.Files {
			version := f.VersionID
			if version == "" {
				version = f.ETag
			}
			keys := strings.Join(f.Keys, ", ")
			if f.Error != nil {
				keys = "UNPARSABLE " + f.Error.Error()
			} else if keys == "" {
				keys = "(empty)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.Key, f.Service, f.Format, f.Via, short(report.Dash(version), 12), keys)
		}
		w.Flush(tw)
		if len(r.Source.Configs) > 0 {
			w.Printf("\nCONFIG FILES (%s)\n", r.Source.Env)
			tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "FILE\tSERVICE\tVERSION\tSIZE")
			for _, c := range r.Source.Configs {
				size := fmt.Sprint(c.Size)
				if c.Err != nil {
					size = "UNUSABLE " + c.Err.Error()
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Key, c.Service, short(report.Dash(c.Version()), 12), size)
			}
			w.Flush(tw)
		}
		for _, k := range r.Source.Ignored {
			w.Printf("ignored: %s (not named <service>.<format>.<env> or <env>/<service>.<format>)\n", k)
		}
	}
	return w.Err()
}

// configStatuses compares each config with what the source asks of the
// services that mount it.
func configStatuses(s *model.SwarmSnapshot, drift *model.DriftReport) []configStatus {
	out := make([]configStatus, 0, len(s.Configs))
	state := map[string]string{} // config ID → match | differs
	if drift != nil {
		for _, dc := range drift.Configs {
			if dc.Ref == nil {
				continue
			}
			if c := s.ConfigByID(dc.Ref.ID); c != nil && model.ConfigSHA256(c.Data) == dc.SHA256 {
				state[c.ID] = "match"
			} else if state[dc.Ref.ID] == "" {
				state[dc.Ref.ID] = "differs"
			}
		}
	}
	for _, c := range s.Configs {
		v := c.LogicalVersion()
		st := configStatus{Name: c.Name, Logical: v.Logical, Version: v.N, Size: c.Size, Templating: c.Templating,
			Users: len(s.ConfigUsers(c.ID)), Source: "not-checked"}
		if drift != nil {
			st.Source = cmp.Or(state[c.ID], "undeclared")
		}
		out = append(out, st)
	}
	return out
}

// backendOf names the kind of source a URI picks, as openSource does.
func backendOf(uri string) string {
	switch {
	case strings.HasPrefix(uri, "s3://"):
		return "s3"
	case strings.HasPrefix(uri, azkv.Scheme+"://"):
		return "azkv"
	}
	return "folder"
}

func (s *sourceStatus) summary() string {
	keys, bad := 0, 0
	for _, f := range s.Files {
		keys += len(f.Keys)
		if f.Error != nil {
			bad++
		}
	}
	out := fmt.Sprintf("%d files, %d keys", len(s.Files), keys)
	if bad > 0 {
		out += fmt.Sprintf(", %d UNPARSABLE", bad)
	}
	return out
}
