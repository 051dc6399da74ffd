package model

import (
	"crypto/sha256"
	"fmt"
	"strings"
)

// imageExposures looks in the history of every image the services run, as
// the connected engine holds it, for credentials in clear: a build arg, an
// ARG default or an ENV whose value is a source value (high), or whose name
// looks like a credential's and holds a literal (medium). Whoever can pull
// the image reads them with `docker history`. An image the engine does not
// hold is said to be unchecked. Findings name the image, the history entry
// and the variable, never the value; the entry is named by its position
// and its layer ID, never by a digest of its text, which holds the value.
// Without histories (nil: not read) it finds nothing.
func (d *drifter) imageExposures() {
	runBy := map[string][]string{}
	for _, svc := range d.in.Swarm.Services {
		runBy[svc.Spec.Image] = append(runBy[svc.Spec.Image], svc.Name)
	}
	index := d.sourceValues()
	for _, img := range d.in.Images {
		services := runBy[img.Image]
		if len(services) == 0 {
			continue
		}
		if !img.Held {
			f := newFinding(KindImageUnchecked, fmt.Sprintf("image %s, run by %s, is not held by the engine secretdeck is connected to: its history could not be checked for credentials in clear", Printable(img.Image), serviceList(services)), ActionReport)
			f.Service, f.Image = services[0], img.Image
			d.add(f)
			continue
		}
		d.imageFindings(img, services, index)
	}
}

// imageHit is one variable of an image's history worth a finding.
type imageHit struct {
	v       BuildVar
	entry   int // 1-based, newest first
	layerID string
	match   sourceValue
	matched bool
	more    int // further entries that set the same name alike
}

func (d *drifter) imageFindings(img ImageHistory, services []string, index map[[sha256.Size]byte][]sourceValue) {
	hits := map[string]*imageHit{} // by variable name: the newest entry, one finding each
	var order []string
	for i, layer := range img.Layers {
		for _, v := range ParseCreatedBy(layer.CreatedBy) {
			if !v.HasValue {
				continue
			}
			match, matched := lookup(index, v.Value)
			if !matched && !(SensitiveName(v.Name) && literal(v.Value)) {
				continue
			}
			h := hits[v.Name]
			switch {
			case h == nil:
				hits[v.Name] = &imageHit{v: v, entry: i + 1, layerID: layer.ID, match: match, matched: matched}
				order = append(order, v.Name)
			case matched && !h.matched: // a source value outranks a literal
				h.more++
				h.v, h.entry, h.layerID, h.match, h.matched = v, i+1, layer.ID, match, true
			default:
				h.more++
			}
		}
	}
	for _, name := range order {
		h := hits[name]
		where := fmt.Sprintf("history entry %d of %d", h.entry, len(img.Layers))
		if id := h.layerID; id != "" && id != "<missing>" {
			where += ", layer " + shortImageID(id)
		}
		if h.more > 0 {
			where += fmt.Sprintf(", and %d more", h.more)
		}
		what := map[string]string{"RUN": "build arg", "ARG": "ARG", "ENV": "ENV"}[h.v.Instruction]
		var f Finding
		if h.matched {
			f = newFinding(KindImageHistoryExposure, fmt.Sprintf("image %s, run by %s, holds in its history (%s) %s %s with, in clear, the value of %q in %s: whoever can pull the image reads it with `docker history`",
				Printable(img.Image), serviceList(services), where, what, Printable(name), h.match.key, h.match.file), ActionRebuildImage, ActionRotate)
			f.File = h.match.file
		} else {
			f = newFinding(KindImageHistoryExposure, fmt.Sprintf("image %s, run by %s, holds in its history (%s) %s %s, which looks like a credential, with a literal value (%d bytes): whoever can pull the image reads it with `docker history`",
				Printable(img.Image), serviceList(services), where, what, Printable(name), h.v.Value.Len()), ActionRebuildImage)
			f.Severity = SeverityMedium
		}
		f.Service, f.Image, f.Layer, f.Key = services[0], img.Image, h.entry, name
		d.add(f)
	}
}

// serviceList names services: "service a" or "services a, b".
func serviceList(names []string) string {
	if len(names) == 1 {
		return "service " + names[0]
	}
	return "services " + strings.Join(names, ", ")
}

// shortImageID is an image ID as `docker image ls` shows it.
func shortImageID(id string) string {
	if _, hex, ok := strings.Cut(id, ":"); ok && len(hex) >= 12 {
		return hex[:12]
	}
	return Printable(id)
}
