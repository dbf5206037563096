package pkgbuild

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"
)

// reportStream writes each package's part of the reports as soon as the
// packages before it in the manifest are done: its report.json line to
// the staged report.json, its report.md section after the sections
// before it, to be copied after the summary table (which needs every
// package) when the build finishes. The sections are kept in memory up to
// mdSpillAt bytes and go to a spill file beyond. Workers take packages in
// manifest order, so only the few that finish out of order wait in
// memory; a build's memory does not grow with the size of its reports.
type reportStream struct {
	dir   string
	epoch time.Time

	mu      sync.Mutex
	next    int                    // index of the next package to write
	pending map[int]*ReportPackage // finished, waiting for earlier ones
	lines   int                    // report.json lines written

	json  *stagedFile
	jw    *bufio.Writer
	md    mdChunks // report.md sections, until they outgrow mdSpillAt
	spill *os.File
	sw    *bufio.Writer
	err   error
}

// mdSpillAt is how many bytes of report.md sections a build keeps in
// memory before it moves them to a spill file: a small image's sections
// (4.6 MB for 200 packages) then cost neither a file nor a copy, and a
// large one's memory stays bounded. Tests lower it.
var mdSpillAt = 32 << 20

func newReportStream(dir string, epoch time.Time) *reportStream {
	return &reportStream{dir: dir, epoch: epoch, pending: map[int]*ReportPackage{}}
}

// open stages report.json with its head.
func (s *reportStream) open(pl *Plan) error {
	head := &Report{reportHead: pl.reportHead(s.epoch)}
	js, err := openStaged(s.dir, "report.json", stagePlain)
	s.json = js // even when failed: its temporary file is removed
	if err != nil {
		return err
	}
	s.jw = bufio.NewWriterSize(js, 256<<10)
	s.jw.Write(head.jsonHead())
	return nil
}

// mdChunks holds report.md sections in memory. Appending to one slice
// would copy it at every doubling; chunks are filled once.
type mdChunks struct {
	chunks [][]byte
	n      int
}

const mdChunkSize = 1 << 20

func (c *mdChunks) append(p []byte) {
	c.n += len(p)
	for len(p) > 0 {
		last := len(c.chunks) - 1
		if last < 0 || len(c.chunks[last]) == cap(c.chunks[last]) {
			c.chunks = append(c.chunks, make([]byte, 0, max(mdChunkSize, len(p))))
			last++
		}
		k := min(len(p), cap(c.chunks[last])-len(c.chunks[last]))
		c.chunks[last] = append(c.chunks[last], p[:k]...)
		p = p[k:]
	}
}

// WriteTo writes the chunks in order.
func (c *mdChunks) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for _, b := range c.chunks {
		k, err := w.Write(b)
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// copyFrom writes what r reads.
type copyFrom struct{ r io.Reader }

func (c copyFrom) WriteTo(w io.Writer) (int64, error) { return io.Copy(w, c.r) }

// startSpill creates the spill file and moves the sections kept in
// memory there.
func (s *reportStream) startSpill() error {
	f, err := os.CreateTemp(s.dir, tempPrefix+"report.md-sections-*")
	if err != nil {
		return pathErr(err) // write names report.md
	}
	var w io.Writer = f
	if testWriteHook != nil {
		w = testWriteHook("report.md-sections", w)
	}
	s.spill, s.sw = f, bufio.NewWriterSize(w, 256<<10)
	_, err = s.md.WriteTo(s.sw)
	s.md = mdChunks{}
	return err
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
	if s.spill == nil && s.md.n+len(mdSection) <= mdSpillAt {
		s.md.append(mdSection)
		return nil
	}
	var err error
	if s.spill == nil {
		err = s.startSpill()
	}
	if err == nil {
		_, err = s.sw.Write(mdSection)
	}
	if err != nil {
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
	var sections io.WriterTo = &s.md
	if s.spill != nil {
		if err := s.sw.Flush(); err != nil {
			return jsonOut, nil, fmt.Errorf("writing report.md: %w", err)
		}
		sections = copyFrom{io.NewSectionReader(s.spill, 0, 1<<62)}
	}
	mdOut, err = stage(s.dir, "report.md", stagePlain, func(w io.Writer) error {
		return rep.writeMarkdown(w, sections)
	})
	s.md = mdChunks{}
	return jsonOut, mdOut, err
}

// remove deletes the spill file and, unless finish handed it over, the
// staged report.json.
func (s *reportStream) remove() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.json != nil {
		if s.json.f != nil {
			s.json.f.Close()
		}
		if s.json.o.tmp != "" {
			os.Remove(s.json.o.tmp)
		}
	}
	if s.spill != nil {
		s.spill.Close()
		os.Remove(s.spill.Name())
	}
}
