package pkgbuild

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/provpack/provpack/pkgbuild/internal/outdir"
	"github.com/provpack/provpack/pkgbuild/report"
)

// reportStream writes each package's part of the reports as soon as the
// packages before it in the manifest are done: its report.json line to
// the staged report.json, and its report.md section, when the package is
// new or changed, to a spill file that follows report.md's package table
// once every package is known. Workers take packages in manifest order,
// so only the few that finish out of order wait in memory; a build's
// memory does not grow with the size of its reports.
type reportStream struct {
	tx    *outdir.Tx
	epoch time.Time

	mu      sync.Mutex
	next    int                    // index of the next package to write
	pending map[int]*renderScratch // finished, waiting for earlier ones (nil: not archived)
	lines   int                    // report.json lines written

	json  *outdir.File
	jw    *bufio.Writer
	spill *os.File // report.md's package sections
	sw    *bufio.Writer
	err   error
}

func newReportStream(tx *outdir.Tx, epoch time.Time) *reportStream {
	return &reportStream{tx: tx, epoch: epoch, pending: map[int]*renderScratch{}}
}

// open stages report.json with its head, and the spill file of
// report.md's sections.
func (s *reportStream) open(pl *Plan) error {
	head := &report.Report{Head: pl.reportHead(s.epoch)}
	js, err := s.tx.Create("report.json", true)
	if err != nil {
		return err
	}
	s.json = js
	s.jw = bufio.NewWriterSize(js, 256<<10)
	s.jw.Write(head.JSONHead())
	if s.spill, err = s.tx.Scratch(); err != nil {
		return err
	}
	s.sw = bufio.NewWriterSize(s.spill, 256<<10)
	return nil
}

// add hands over package i's report entry (nil when the package was not
// archived) with its parts rendered in sc, and writes every entry that is
// now in order. A package whose turn it is is written straight from sc;
// one that must wait keeps copies.
func (s *reportStream) add(pl *Plan, i int, rp *report.Package, sc *renderScratch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil && s.json == nil {
		s.err = s.open(pl)
	}
	if s.err != nil {
		return s.err
	}
	if i != s.next {
		var kept *renderScratch
		if rp != nil {
			kept = &renderScratch{json: slices.Clone(sc.json), md: slices.Clone(sc.md)}
		}
		s.pending[i] = kept
		return nil
	}
	if rp != nil {
		if err := s.write(sc.json, sc.md); err != nil {
			return err
		}
	}
	s.next++
	for {
		kept, ok := s.pending[s.next]
		if !ok {
			return nil
		}
		delete(s.pending, s.next)
		s.next++
		if kept == nil {
			continue
		}
		if err := s.write(kept.json, kept.md); err != nil {
			return err
		}
	}
}

// write appends one package's parts to the two reports.
func (s *reportStream) write(jsonLine, mdSection []byte) error {
	if s.lines > 0 {
		s.jw.WriteString(",\n")
	}
	s.lines++
	if _, err := s.jw.Write(jsonLine); err != nil {
		s.err = fmt.Errorf("writing report.json: %w", err)
		return s.err
	}
	if _, err := s.sw.Write(mdSection); err != nil {
		s.err = fmt.Errorf("writing report.md: %w", err)
		return s.err
	}
	return nil
}

// finish writes the rest of report.json and all of report.md, now that
// rep is complete, and returns the SHA-256 of each by name, for
// SHA256SUMS.
func (s *reportStream) finish(pl *Plan, rep *report.Report) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil && s.json == nil {
		s.err = s.open(pl) // a manifest without packages
	}
	if s.err != nil {
		return nil, s.err
	}
	tail, err := rep.JSONTail(s.lines > 0)
	if err != nil {
		return nil, err
	}
	s.jw.Write(tail)
	if err := s.jw.Flush(); err != nil {
		return nil, fmt.Errorf("writing report.json: %w", err)
	}
	if err := s.json.Close(); err != nil {
		return nil, err // names the file
	}
	if err := s.sw.Flush(); err != nil {
		return nil, fmt.Errorf("writing report.md: %w", err)
	}
	md, err := s.tx.Create("report.md", true)
	if err != nil {
		return nil, err
	}
	w := bufio.NewWriterSize(md, 256<<10)
	w.Write(rep.AppendMarkdownHead(nil))
	if _, err := s.spill.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("writing report.md: %w", err)
	}
	if _, err := io.Copy(w, s.spill); err != nil {
		return nil, fmt.Errorf("writing report.md: %w", err)
	}
	w.Write(rep.AppendMarkdownTail(nil))
	if err := w.Flush(); err != nil {
		return nil, fmt.Errorf("writing report.md: %w", err)
	}
	if err := md.Close(); err != nil {
		return nil, err // names the file
	}
	return map[string]string{"report.json": s.json.SHA256(), "report.md": md.SHA256()}, nil
}

// close closes the spill file (the transaction removes it).
func (s *reportStream) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.spill != nil {
		s.spill.Close()
		s.spill = nil
	}
}
