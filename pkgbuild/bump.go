package pkgbuild

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/provpack/provpack/internal/boundedread"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/internal/outdir"
)

// BumpKind is which part of a version a bump raises.
type BumpKind string

// The bump kinds.
const (
	BumpPatch BumpKind = "patch"
	BumpMinor BumpKind = "minor"
	BumpMajor BumpKind = "major"
)

// BumpKinds lists the bump kinds, for flags and completion.
var BumpKinds = []BumpKind{BumpPatch, BumpMinor, BumpMajor}

// Valid reports a kind that is not one of BumpKinds.
func (k BumpKind) Valid() error {
	if !slices.Contains(BumpKinds, k) {
		return fmt.Errorf("bump %q: want patch, minor or major", string(k))
	}
	return nil
}

// BumpResult says what Bump changed.
type BumpResult struct {
	Package string `json:"package"`
	From    string `json:"from"`
	To      string `json:"to"`
	Reason  string `json:"reason,omitempty"`
	// LockUpdated is set when the bump was recorded in the release lock
	// (always, now: it waits there for the next release).
	LockUpdated bool `json:"lockUpdated"`
}

// Bump raises the version of package pkg in the manifest at path by kind
// (patch, minor or major), editing only the version scalar so comments and
// layout survive. The bump and its reason wait in the release lock beside
// the manifest (started if there is none) for the next release, whose
// reports show them.
//
// Bump holds the guard on the manifest's directory (see outdir.Lock)
// from reading the manifest until both files are written, and writes the
// two together: either both change or neither does.
//
// When ctx is done before the files are committed, Bump changes nothing
// and returns ctx.Err().
func Bump(ctx context.Context, path, pkg string, kind BumpKind, reason string) (*BumpResult, error) {
	guard, data, m, err := guardedManifest(path)
	if err != nil {
		return nil, err
	}
	defer guard.Unlock()
	p := m.Package(pkg)
	if p == nil {
		// SetVersion knows the names and suggests one.
		if _, err := manifest.SetVersion(data, pkg, "0.0.0"); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%s: no package %q", path, pkg)
	}
	if err := kind.Valid(); err != nil {
		return nil, err
	}
	res := &BumpResult{Package: p.Name, From: p.Version.String(), To: bumpVersion(p.Version, kind), Reason: reason}
	if m.Target == manifest.TargetW10M {
		if err := manifest.MustParseVersion(res.To).CheckW10M(); err != nil {
			return nil, fmt.Errorf("%s: package %s cannot be bumped: %w; raise a larger part instead (--minor or --major)", path, p.Name, err)
		}
	}
	out, err := manifest.SetVersion(data, p.Name, res.To)
	if err != nil {
		return nil, err
	}
	lockPath := filepath.Join(filepath.Dir(path), manifest.DefaultLockName)
	lock, err := manifest.LoadLock(ctx, lockPath)
	if err != nil {
		return nil, err
	}
	if reason == "" {
		reason = "raised with provpack bump --" + string(kind)
	}
	// The bump waits in the lock for the next release, which records it
	// if the manifest still has it. A lock is started if nothing was
	// released yet; a second bump of the same package extends the first.
	if lock == nil {
		lock = &manifest.Lock{Image: m.Image, Target: m.Target}
	}
	pb := manifest.PendingBump{Package: p.Name, Bump: manifest.Bump{From: res.From, To: res.To, Reason: reason}}
	if old := lock.PendingBump(p.Name); old != nil {
		if old.To == res.From {
			pb.From, pb.Reason = old.From, old.Reason+"; "+reason
		}
		*old = pb
	} else {
		lock.Pending = append(lock.Pending, pb)
	}
	lockData, err := lock.Marshal()
	if err != nil {
		return nil, err
	}
	if err := commitFiles(ctx, fileWrite{path: path, data: out, keepMode: true}, fileWrite{path: lockPath, data: lockData}); err != nil {
		return nil, err
	}
	res.LockUpdated = true
	return res, nil
}

// fileWrite is one file for commitFiles: its bytes, with the mode the file
// has (keepMode) or 0644.
type fileWrite struct {
	path     string
	data     []byte
	keepMode bool
}

// commitFiles writes files beside the manifest together, in order, as one
// transaction: all of them change or none does. The caller holds the
// guard of their directory. When ctx is done before the commit, nothing
// changes and ctx.Err() is returned.
func commitFiles(ctx context.Context, files ...fileWrite) error {
	tx := outdir.BeginFiles(outdir.Options{Durable: true})
	defer tx.End()
	for _, f := range files {
		perm := os.FileMode(0o644)
		if f.keepMode {
			info, err := os.Stat(f.path)
			if err != nil {
				return err
			}
			perm = info.Mode().Perm()
		}
		if err := stageAt(tx, f.path, f.data, perm); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return tx.Commit(true)
}

// guardedManifest takes the guard on the manifest's directory, then reads
// and parses the manifest at path. The caller unlocks the guard.
func guardedManifest(path string) (*outdir.Guard, []byte, *manifest.Manifest, error) {
	guard, err := outdir.Lock(filepath.Dir(path), "the manifest and its release lock")
	if err != nil {
		return nil, nil, nil, err
	}
	data, err := boundedread.File(path, manifest.MaxSize)
	if err == nil {
		var m *manifest.Manifest
		if m, err = manifest.Parse(path, data); err == nil {
			return guard, data, m, nil
		}
	}
	guard.Unlock()
	return nil, nil, nil, err
}

// BumpRelease raises the image release of the manifest at path by kind,
// editing only the release scalar, under the same guard as Bump. The
// result's Package is empty.
func BumpRelease(path string, kind BumpKind) (*BumpResult, error) {
	if err := kind.Valid(); err != nil {
		return nil, err
	}
	guard, data, m, err := guardedManifest(path)
	if err != nil {
		return nil, err
	}
	defer guard.Unlock()
	res := &BumpResult{From: m.Release.String(), To: bumpVersion(m.Release, kind)}
	out, err := manifest.SetRelease(data, res.To)
	if err != nil {
		return nil, err
	}
	return res, commitFiles(context.Background(), fileWrite{path: path, data: out, keepMode: true})
}

// Init writes a commented starter manifest into dir and returns its path.
// An existing manifest is kept unless force is set.
func Init(dir, image, target string, force bool) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, manifest.DefaultManifestName)
	if _, err := os.Stat(path); err == nil && !force {
		return "", fmt.Errorf("%s exists; edit it, or use --force to replace it", path)
	}
	guard, err := outdir.Lock(dir, "the manifest and its release lock")
	if err != nil {
		return "", err
	}
	defer guard.Unlock()
	return path, commitFiles(context.Background(), fileWrite{path: path, data: manifest.Starter(image, target)})
}
