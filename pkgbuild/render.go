package pkgbuild

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/provpack/provpack/internal/boundedread"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/provxml"
)

// rendered is one package's merged document of one class.
type rendered struct {
	Doc      *provxml.Document
	Sources  []string // where the content came from, for reports
	Findings []Finding
	// Settings is Flatten(Doc); Origins[i] names the file Settings[i] was
	// written in (the manifest, for inline settings).
	Settings []provxml.Setting
	Origins  []string
	// size is the bytes read from file sources: a guess at the size of
	// the canonical document.
	size int
}

// addSettings appends the settings of one source's document.
func (r *rendered) addSettings(file string, doc *provxml.Document) {
	n := len(r.Settings)
	r.Settings = provxml.AppendSettings(r.Settings, doc)
	r.Origins = slices.Grow(r.Origins, len(r.Settings)-n)
	for range len(r.Settings) - n {
		r.Origins = append(r.Origins, file)
	}
}

func ppos(p manifest.Pos) provxml.Pos { return provxml.Pos{Line: p.Line, Col: p.Col} }

// renderClass merges the sources of one class, in order, into one
// document. File sources are parsed and linted where they are; inline
// settings become elements positioned at the manifest lines they came
// from, so their findings point there too.
func renderClass(m *manifest.Manifest, dir string, p *manifest.Package, class manifest.Class, sources []*manifest.Source, sc *scratch) *rendered {
	out := &rendered{Doc: provxml.NewDocument("")}
	// The class is the manifest's, whatever the source files are named.
	opt := provxml.Options{Target: string(m.Target), Class: string(class)}
	// The documents are gathered first, so that their settings go into
	// one slice sized once.
	type sourceDoc struct {
		file string
		doc  *provxml.Document
	}
	var docs []sourceDoc
	for _, s := range sources {
		if s.File != "" {
			for _, rel := range s.Matches {
				path := filepath.Join(dir, filepath.FromSlash(rel))
				out.Sources = append(out.Sources, filepath.ToSlash(path))
				data, err := readSource(path)
				if err != nil {
					out.Findings = append(out.Findings, Finding{File: path, Line: 1, Col: 1, ID: provxml.RuleSyntax.ID, Severity: provxml.Error,
						Message: fmt.Sprintf("cannot read: %v", err), Package: p.Name})
					continue
				}
				out.size += len(data)
				doc, fs := provxml.Lint(path, data, provxml.ParseOptions{Arena: &sc.arena}, opt)
				for _, f := range fs {
					out.Findings = append(out.Findings, FindingOf(p.Name, f))
				}
				if doc != nil && doc.Root != nil && doc.Root.Name == provxml.ElemRoot {
					docs = append(docs, sourceDoc{path, doc})
				}
			}
			continue
		}
		doc := inlineDocument(m.File, s)
		out.Sources = append(out.Sources, fmt.Sprintf("%s:%s (inline settings)", m.File, s.Pos))
		for _, f := range provxml.Check(doc, opt) {
			out.Findings = append(out.Findings, FindingOf(p.Name, f))
		}
		docs = append(docs, sourceDoc{m.File, doc})
	}
	n, kids := 0, 0
	for _, d := range docs {
		n += provxml.SettingsBound(d.doc)
		kids += len(d.doc.Root.Children)
	}
	out.Settings = reserve(&sc.settings, n)
	out.Origins = reserve(&sc.origins, n)
	out.Doc.Root.Children = make([]*provxml.Element, 0, kids)
	for _, d := range docs {
		out.Doc.Root.Children = append(out.Doc.Root.Children, d.doc.Root.Children...)
		out.addSettings(d.file, d.doc)
	}
	return out
}

// inlineDocument builds the provisioning XML of inline settings:
//
//	<characteristic type="CSP">
//	  <characteristic type="path[0]"> … <characteristic type="path[n]">
//	    <parm name value datatype/>…  <noparm name/>…
func inlineDocument(file string, s *manifest.Source) *provxml.Document {
	doc := provxml.NewDocument(file)
	for _, set := range s.Settings {
		top := &provxml.Element{Name: provxml.ElemCharacteristic, Pos: ppos(set.Pos),
			Attrs: []provxml.Attr{{Name: "type", Value: set.CSP, Pos: ppos(set.At("csp"))}}}
		cur := top
		for i, typ := range set.Characteristic {
			pos := set.At(fmt.Sprintf("characteristic[%d]", i))
			if !set.Has(fmt.Sprintf("characteristic[%d]", i)) {
				pos = set.At("characteristic")
			}
			ch := &provxml.Element{Name: provxml.ElemCharacteristic, Pos: ppos(pos),
				Attrs: []provxml.Attr{{Name: "type", Value: typ, Pos: ppos(pos)}}}
			cur.Children = append(cur.Children, ch)
			cur = ch
		}
		for _, pm := range set.Parms {
			el := &provxml.Element{Name: provxml.ElemParm, Pos: ppos(pm.Pos),
				Attrs: []provxml.Attr{{Name: "name", Value: pm.Name, Pos: ppos(pm.At("name"))}}}
			if pm.Has("value") {
				el.Attrs = append(el.Attrs, provxml.Attr{Name: "value", Value: pm.Value, Pos: ppos(pm.At("value"))})
			}
			if pm.Datatype != "" {
				el.Attrs = append(el.Attrs, provxml.Attr{Name: "datatype", Value: string(pm.Datatype), Pos: ppos(pm.At("datatype"))})
			}
			cur.Children = append(cur.Children, el)
		}
		for i, name := range set.Delete {
			pos := ppos(set.At(fmt.Sprintf("delete[%d]", i)))
			cur.Children = append(cur.Children, &provxml.Element{Name: provxml.ElemNoparm, Pos: pos,
				Attrs: []provxml.Attr{{Name: "name", Value: name, Pos: pos}}})
		}
		doc.Root.Children = append(doc.Root.Children, top)
	}
	return doc
}

// readSource reads a provisioning source, at most one byte more than the
// parser accepts (so an oversized file is reported, not read whole), and
// refuses anything but a regular file without blocking on it.
func readSource(path string) ([]byte, error) {
	data, err := boundedread.Prefix(path, provxml.DefaultMaxSize)
	if errors.Is(err, boundedread.ErrNotRegular) || errors.Is(err, boundedread.ErrIsDir) {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	return data, err
}
