package model

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// secretsDir is where Docker mounts a secret whose target is a bare name.
const secretsDir = "/run/secrets/"

// wiring reports env vars that point a service at the wrong thing: a
// NAME_FILE path under /run/secrets/ that no secret of the service is
// mounted at (the application reads nothing, or fails at start-up), and a
// property-file reference naming another environment's file (prod reading
// dev's values). Names only: a value is compared, never shown.
func (d *drifter) wiring() {
	bucket := d.sourceBucket()
	own := map[string][]*PropertyFile{} // by service: its property files (secret files are mounted, never fetched)
	for i := range d.in.Source.Files {
		if f := &d.in.Source.Files[i]; !f.IsFileSecret() {
			own[f.Service] = append(own[f.Service], f)
		}
	}
	for i := range d.in.Swarm.Services {
		svc := &d.in.Swarm.Services[i]
		reads := bucket != "" && readsOwnFile(svc, own[svc.Name])
		for _, ev := range svc.Spec.Env {
			ref := ev.Value.Reveal()
			switch {
			case reads && strings.Contains(strings.ToUpper(ev.Name), "BUCKET") && bucketName(ref) && ref != bucket:
				f := newFinding(KindWiring, fmt.Sprintf("env %s of service %s names another bucket than the source's (%s), while the service reads its property file itself: it reads values secretdeck does not check",
					ev.Name, svc.Name, bucket), ActionReport)
				f.Service, f.Key = svc.Name, ev.Name
				d.add(f)
			case strings.HasSuffix(ev.Name, "_FILE") && strings.HasPrefix(ref, secretsDir):
				if !slices.ContainsFunc(svc.Spec.Secrets, func(r FileRef) bool { return secretsDir+r.Target == ref || r.Target == ref }) {
					// The path is an env value: like every env value, it is not shown.
					f := newFinding(KindWiring, fmt.Sprintf("env %s of service %s points at a file under %s where no secret of the service is mounted: the application finds no file there",
						ev.Name, svc.Name, secretsDir), ActionReport)
					f.Service, f.Key = svc.Name, ev.Name
					d.add(f)
				}
			default:
				if other := d.otherEnvFile(svc.Name, ref); other != "" {
					f := newFinding(KindWiring, fmt.Sprintf("env %s of service %s names the property file of environment %s, not %s: the service reads another environment's values",
						ev.Name, svc.Name, other, d.in.Source.Env), ActionReport)
					f.Service, f.Key = svc.Name, ev.Name
					d.add(f)
				}
			}
		}
	}
}

// sourceBucket is the source's S3 bucket, "" for a folder.
func (d *drifter) sourceBucket() string {
	rest, ok := strings.CutPrefix(d.in.Source.URI, "s3://")
	if !ok {
		return ""
	}
	b, _, _ := strings.Cut(rest, "/")
	return b
}

// readsOwnFile reports whether an env var of svc names one of its property
// files: the service fetches the file itself.
func readsOwnFile(svc *Service, files []*PropertyFile) bool {
	for _, ev := range svc.Spec.Env {
		ref := ev.Value.Reveal()
		for _, f := range files {
			if ref != "" && namesFile(ref, f.Key) {
				return true
			}
		}
	}
	return false
}

// bucketName reports whether s can be an S3 bucket name.
func bucketName(s string) bool {
	if len(s) < 3 || len(s) > 63 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// otherEnvFile is the environment, other than the source's, whose property
// file of service ref names (svc.json.dev, dev/svc.json, s3://b/dev/svc.json);
// "" when ref names no such file.
func (d *drifter) otherEnvFile(service, ref string) string {
	if ref == "" || strings.ContainsAny(ref, " \n") {
		return ""
	}
	base := path.Base(ref)
	dir := path.Base(path.Dir(ref))
	parts := strings.Split(base, ".")
	isFormat := func(s string) bool { return slices.Contains(Formats, Format(s)) }
	switch {
	case len(parts) == 3 && parts[0] == service && isFormat(parts[1]): // svc.json.dev
		if env := parts[2]; env != d.in.Source.Env && slices.Contains(d.in.Source.Envs, env) {
			return env
		}
	case len(parts) == 2 && parts[0] == service && isFormat(parts[1]): // dev/svc.json
		if dir != d.in.Source.Env && slices.Contains(d.in.Source.Envs, dir) {
			return dir
		}
	}
	return ""
}
