package pkgbuild

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// reportStream writes each package's part of the reports as soon as the
// packages before it in the manifest are done: its report.json line to
// the staged report.json, its report.md section to the staged report.md,
// after room left for report.md's head (whose length mdLayout fixes before
// any package is built; the head is written into that room last).
// Workers take packages in manifest order, so only the few that finish
// out of order wait in memory; a build's memory does not grow with the
// size of its reports.
type reportStream struct {
	dir   string
	epoch time.Time

	mu      sync.Mutex
	next    int                    // index of the next package to write
	pending map[int]*ReportPackage // finished, waiting for earlier ones
	lines   int                    // report.json lines written

	json   *stagedFile
	jw     *bufio.Writer
	md     *stagedFile
	mw     *bufio.Writer
	layout mdLayout
	err    error
}

func newReportStream(dir string, epoch time.Time) *reportStream {
	return &reportStream{dir: dir, epoch: epoch, pending: map[int]*ReportPackage{}}
}

// open stages report.json with its head, and report.md with room for
// its head.
func (s *reportStream) open(pl *Plan) error {
	head := &Report{reportHead: pl.reportHead(s.epoch)}
	js, err := openStaged(s.dir, "report.json", stagePlain)
	s.json = js // even when failed: its temporary file is removed
	if err != nil {
		return err
	}
	s.jw = bufio.NewWriterSize(js, 256<<10)
	s.jw.Write(head.jsonHead())
	s.layout = newMDLayout(pl)
	md, err := openStaged(s.dir, "report.md", stageHashAfter)
	s.md = md
	if err != nil {
		return err
	}
	if err := md.seek(int64(s.layout.headSize())); err != nil {
		return fmt.Errorf("writing report.md: %w", err)
	}
	s.mw = bufio.NewWriterSize(md, 256<<10)
	return nil
}

// add hands over package i's report entry (nil when the package was not
// archived) with its parts rendered in sc, and writes every entry that is
// now in order. A package whose turn it is is written straight from sc;
// one that must wait keeps copies.
func (s *reportStream) add(pl *Plan, i int, rp *ReportPackage, sc *renderScratch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil && s.json == nil {
		s.err = s.open(pl)
	}
	if s.err != nil {
		return s.err
	}
	if i != s.next {
		if rp != nil {
			rp.jsonLine, rp.mdSection = slices.Clone(sc.json), slices.Clone(sc.md)
		}
		s.pending[i] = rp
		return nil
	}
	if rp != nil {
		if err := s.write(sc.json, sc.md); err != nil {
			return err
		}
	}
	s.next++
	for {
		rp, ok := s.pending[s.next]
		if !ok {
			return nil
		}
		delete(s.pending, s.next)
		s.next++
		if rp == nil {
			continue
		}
		if err := s.write(rp.jsonLine, rp.mdSection); err != nil {
			return err
		}
		rp.jsonLine, rp.mdSection = nil, nil
	}
}

// write appends one package's parts to the two reports.
func (s *reportStream) write(jsonLine, mdSection []byte) error {
	if s.lines > 0 {
		s.jw.WriteString(",\n")
	}
	s.lines++
	s.jw.Write(jsonLine)
	if _, err := s.mw.Write(mdSection); err != nil {
		s.err = fmt.Errorf("writing report.md: %w", err)
		return s.err
	}
	return nil
}

// finish writes the rest of both reports, now that rep is complete, and
// returns report.json's and report.md's staged outputs.
func (s *reportStream) finish(pl *Plan, rep *Report) (jsonOut, mdOut *output, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil && s.json == nil {
		s.err = s.open(pl) // a manifest without packages
	}
	if s.err != nil {
		return nil, nil, s.err
	}
	tail, err := rep.jsonTail(s.lines > 0)
	if err != nil {
		return nil, nil, err
	}
	s.jw.Write(tail)
	if err := s.jw.Flush(); err != nil {
		s.json.abandon()
		return s.json.o, nil, fmt.Errorf("writing report.json: %w", err)
	}
	if jsonOut, err = s.json.commit(); err != nil {
		return jsonOut, nil, err
	}
	s.json = nil // committed: the builder owns its output now
	s.mw.Write(rep.appendMDTail(nil))
	if err := s.mw.Flush(); err != nil {
		s.md.abandon()
		return jsonOut, s.md.o, fmt.Errorf("writing report.md: %w", err)
	}
	head, fits := s.layout.appendHead(nil, rep)
	if fits && len(head) == s.layout.headSize() {
		err = s.md.writeAt(head, 0)
	} else {
		err = s.rewriteMD(rep)
	}
	if err != nil {
		s.md.abandon()
		return jsonOut, s.md.o, fmt.Errorf("writing report.md: %w", err)
	}
	mdOut, err = s.md.commit()
	s.md = nil
	return jsonOut, mdOut, err
}

// mdRewrites counts rewriteMD's calls, for tests: a head that fits its
// room never needs one.
var mdRewrites atomic.Int64

// rewriteMD stages report.md again, with a head laid out for rep, and
// the sections and tail of the one staged so far: for a head that does
// not fit the room left for it (a bound of newMDLayout was wrong).
func (s *reportStream) rewriteMD(rep *Report) error {
	mdRewrites.Add(1)
	old := s.md
	old.abandon()
	defer os.Remove(old.o.tmp)
	src, err := os.Open(old.o.tmp)
	if err != nil {
		return err
	}
	defer src.Close()
	md, err := openStaged(s.dir, "report.md", stageHashAfter)
	s.md = md
	if err != nil {
		return err
	}
	l := layoutFor(rep)
	head, _ := l.appendHead(nil, rep)
	if _, err := md.Write(head); err != nil {
		return err
	}
	_, err = io.Copy(md, io.NewSectionReader(src, int64(s.layout.headSize()), 1<<62))
	return err
}

// remove deletes the staged reports that finish did not hand over.
func (s *reportStream) remove() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sf := range []*stagedFile{s.json, s.md} {
		if sf == nil {
			continue
		}
		if sf.f != nil {
			sf.f.Close()
		}
		if sf.o.tmp != "" {
			os.Remove(sf.o.tmp)
		}
	}
}
