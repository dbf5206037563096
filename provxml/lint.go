package provxml

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/provpack/provpack/internal/boundedread"

	"github.com/provpack/provpack/internal/parallel"
)

// FileResult is the outcome of linting one file.
type FileResult struct {
	File     string
	Findings []Finding
	// Err is set when the file could not be read at all.
	Err error
}

// ExpandPaths turns FILE and DIR arguments into the list of files to lint:
// a file is taken as given, a directory is walked for *.provxml files in
// lexical order. Paths that do not exist are returned in missing.
func ExpandPaths(args []string) (files []string, missing []error) {
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil {
			missing = append(missing, err)
			continue
		}
		if !info.IsDir() {
			// A named pipe or device is refused in lintFile, before it
			// is opened (opening a FIFO blocks).
			files = append(files, arg)
			continue
		}
		err = filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				missing = append(missing, err)
				return nil
			}
			if d.IsDir() || !strings.EqualFold(filepath.Ext(path), ".provxml") {
				return nil
			}
			if !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
				return nil // a pipe, socket or device named *.provxml
			}
			// d.Type() is the link itself for a symlink; lint what it names
			// when that is a file.
			if d.Type()&fs.ModeSymlink != 0 {
				if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
					return nil
				}
			}
			files = append(files, path)
			return nil
		})
		if err != nil {
			missing = append(missing, err)
		}
	}
	return files, missing
}

// LintFiles lints files in parallel, at most jobs at a time (the number of
// CPUs when jobs ≤ 0), and returns the results in the order of files.
func LintFiles(ctx context.Context, files []string, popt ParseOptions, opt Options, jobs int) []FileResult {
	out := make([]FileResult, len(files))
	// Findings never point into a document or its bytes, so each file is
	// parsed into the memory an earlier file used.
	var free sync.Pool
	parallel.For(ctx, len(files), jobs, func(i int) {
		mem, _ := free.Get().(*lintMemory)
		if mem == nil {
			mem = new(lintMemory)
		}
		out[i] = lintFile(files[i], popt, opt, mem)
		free.Put(mem)
	})
	return out
}

// lintMemory is what one lint worker reads and parses files into.
type lintMemory struct {
	arena Arena
}

func lintFile(path string, popt ParseOptions, opt Options, mem *lintMemory) FileResult {
	popt = popt.withDefaults()
	mem.arena.Reset()
	data, err := boundedread.Prefix(path, int64(popt.MaxSize))
	switch {
	case errors.Is(err, boundedread.ErrIsDir):
		return FileResult{File: path, Err: fmt.Errorf("%s is a directory", path)}
	case errors.Is(err, boundedread.ErrNotRegular):
		return FileResult{File: path, Err: fmt.Errorf("%s is not a regular file", path)}
	case err != nil:
		return FileResult{File: path, Err: err}
	}
	if len(data) > popt.MaxSize {
		size := "more than " + strconv.Itoa(popt.MaxSize)
		if info, err := os.Stat(path); err == nil {
			size = strconv.FormatInt(info.Size(), 10)
		}
		return FileResult{File: path, Findings: []Finding{{File: path, Pos: Pos{1, 1}, Rule: &RuleLimit,
			Msg: fmt.Sprintf("file is %s bytes, larger than the %d-byte limit; provisioning documents are small, so this is refused to bound memory", size, popt.MaxSize)}}}
	}
	popt.Arena = &mem.arena
	_, fs := Lint(path, data, popt, opt)
	return FileResult{File: path, Findings: fs}
}

// Suppress removes warnings whose rule ID is in ids. Error-level findings
// are never removed.
func Suppress(fs []Finding, ids []string) []Finding {
	if len(ids) == 0 {
		return fs
	}
	return slices.DeleteFunc(slices.Clone(fs), func(f Finding) bool {
		return f.Rule.Severity == Warning && slices.Contains(ids, f.Rule.ID)
	})
}
