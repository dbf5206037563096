package pkgbuild

import (
	"cmp"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/provxml"
)

// Every problem in one run: a manifest that does not decode cleanly, a
// source pattern that matches nothing and a provisioning file that breaks
// a rule are reported together, so that fixing them takes one run.

// withSourceProblems adds to the problems of manifest m, which decoded
// with problems (list), those of its sources: patterns that match
// nothing or something they may not, and the errors of the provisioning
// files they match. A source whose own field is already in list is not
// looked at again.
func withSourceProblems(m *manifest.Manifest, dir string, list manifest.ErrorList) error {
	all := slices.Clone(list)
	bad := map[string]bool{}
	for _, e := range list {
		bad[e.Field] = true
	}
	check, err := m.NewSourceChecker(dir)
	if err != nil {
		return list
	}
	for i := range m.Packages {
		check.Check(i)
	}
	var more manifest.ErrorList
	if errors.As(check.Err(), &more) {
		for _, e := range more {
			if !bad[e.Field] {
				all = append(all, e)
			}
		}
	}
	var fs []Finding
	linted := map[string]bool{}
	for _, p := range m.Packages {
		if p == nil {
			continue
		}
		for _, class := range []struct {
			class   manifest.Class
			sources []*manifest.Source
		}{{manifest.ClassCold, p.Cold}, {manifest.ClassUpdate, p.Update}} {
			opt := provxml.Options{Target: string(m.Target), Class: string(class.class)}
			for _, s := range class.sources {
				if s == nil {
					continue
				}
				for _, rel := range s.Matches {
					path := filepath.Join(dir, filepath.FromSlash(rel))
					if linted[path] {
						continue
					}
					linted[path] = true
					data, err := readSource(path)
					if err != nil {
						fs = append(fs, Finding{File: path, Line: 1, Col: 1, ID: provxml.RuleSyntax.ID, Severity: provxml.Error, Message: fmt.Sprintf("cannot read: %v", err)})
						continue
					}
					_, found := provxml.Lint(path, data, provxml.ParseOptions{}, opt)
					for _, f := range found {
						fs = append(fs, FindingOf(p.Name, f))
					}
				}
			}
		}
	}
	return problemList(m.File, all, fs)
}

// problemList is the ErrorList of a refused plan: problems of the
// manifest and its sources, and the error-level findings in the
// provisioning files, sorted by position, the manifest's first.
func problemList(manifestFile string, list manifest.ErrorList, fs []Finding) manifest.ErrorList {
	all := slices.Clone(list)
	for _, f := range fs {
		if f.Severity != provxml.Error {
			continue
		}
		all = append(all, &manifest.Error{File: f.File, Line: f.Line, Col: f.Col, Msg: fmt.Sprintf("%s: %s: %s", f.ID, f.Severity, f.Message)})
	}
	rank := func(file string) int {
		if file == manifestFile {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(all, func(a, b *manifest.Error) int {
		return cmp.Or(cmp.Compare(rank(a.File), rank(b.File)), cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	return all
}
