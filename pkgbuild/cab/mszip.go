package cab

import (
	"fmt"
	"sync"

	"github.com/klauspost/compress/flate"
)

// DefaultLevel is the deflate level Write uses when WriteOptions.Level is
// 0: klauspost's own default, and the level the project's speed bars are
// measured at (how other levels compare: docs/performance.md).
const DefaultLevel = 5

// folderEncoder compresses the uncompressed stream of one folder into
// CFDATA blocks appended to out.
//
// History is carried from frame to frame the cheapest way klauspost
// offers: one flate.Writer runs over the whole folder and is flushed
// (Z_SYNC_FLUSH) after every 32 KiB. Its matches can then reach the
// previous 32 KiB exactly as a writer primed with that dictionary would,
// without encoding the dictionary again for every frame (which is what
// NewWriterDict and ResetDict do at the fast levels). A sync flush ends
// with an empty, non-final stored block; the guard scan finds the block
// before it, sets its final bit and cuts the frame there, so each frame is
// a complete deflate stream as MSZIP requires.
type folderEncoder struct {
	level int
	fw    *flate.Writer
	g     guard
	out   []byte // CFDATA blocks of the cabinet, appended in order
	frame []byte // uncompressed bytes of the frame being filled
	fill  int
	done  int // uncompressed bytes of the folder already encoded
	count int // CFDATA blocks of the folder
	limit int // stop when len(out) exceeds this
}

// Write appends compressor output to e.out; it is the flate.Writer's sink.
func (e *folderEncoder) Write(p []byte) (int, error) {
	e.out = append(e.out, p...)
	return len(p), nil
}

// freeEncoders keeps encoders for reuse. Unlike a sync.Pool it is not
// emptied by garbage collection: a new flate encoder touches hundreds of
// kilobytes of fresh tables, and with a small heap the GC cleared the
// pool often enough that page faults on new tables showed in profiles.
var freeEncoders struct {
	mu   sync.Mutex
	list [10][]*folderEncoder
}

// maxFreeEncoders bounds the encoders kept per level: one per writer
// that runs at once is all a build needs.
const maxFreeEncoders = 16

// disableGuard lets a test write frames as klauspost produced them, to
// show that cabextract refuses some of them.
var disableGuard = false

func getEncoder(level int) (*folderEncoder, error) {
	freeEncoders.mu.Lock()
	if l := freeEncoders.list[level]; len(l) > 0 {
		e := l[len(l)-1]
		freeEncoders.list[level] = l[:len(l)-1]
		freeEncoders.mu.Unlock()
		return e, nil
	}
	freeEncoders.mu.Unlock()
	e := &folderEncoder{level: level, frame: make([]byte, frameSize)}
	fw, err := flate.NewWriter(e, level)
	if err != nil {
		return nil, err
	}
	e.fw = fw
	return e, nil
}

// maxPooledOutput bounds the output buffer an encoder keeps in the pool.
const maxPooledOutput = 8 << 20

func putEncoder(e *folderEncoder) {
	if cap(e.out) > maxPooledOutput {
		e.out = nil
	}
	e.out = e.out[:0]
	freeEncoders.mu.Lock()
	if len(freeEncoders.list[e.level]) < maxFreeEncoders {
		freeEncoders.list[e.level] = append(freeEncoders.list[e.level], e)
	}
	freeEncoders.mu.Unlock()
}

// startFolder resets the compressor: folders are independent streams.
func (e *folderEncoder) startFolder() {
	e.fw.Reset(e)
	e.fill, e.done, e.count = 0, 0, 0
}

// add feeds folder bytes, emitting a CFDATA block for every full frame.
func (e *folderEncoder) add(p []byte) error {
	for len(p) > 0 {
		n := copy(e.frame[e.fill:], p)
		e.fill += n
		p = p[n:]
		if e.fill == frameSize {
			if err := e.emit(); err != nil {
				return err
			}
		}
	}
	return nil
}

// endFolder emits the last, partial frame.
func (e *folderEncoder) endFolder() error {
	if e.fill > 0 {
		return e.emit()
	}
	return nil
}

// emit compresses e.frame[:e.fill] into one CFDATA block.
func (e *folderEncoder) emit() error {
	raw := e.frame[:e.fill]
	hist := min(e.done, frameSize)
	start := len(e.out)
	e.out = append(e.out, 0, 0, 0, 0, 0, 0, 0, 0, 'C', 'K')
	if _, err := e.fw.Write(raw); err != nil {
		return fmt.Errorf("cab: compressing: %w", err)
	}
	if err := e.fw.Flush(); err != nil {
		return fmt.Errorf("cab: compressing: %w", err)
	}
	body := start + dataSize + 2
	p := e.out[body:]
	if err := e.g.scan(p, hist, len(raw), false, false); err != nil {
		return fmt.Errorf("cab: internal error: compressor output for data block %d fails the self-check: %w", e.count, err)
	}
	blocks := e.g.blocks
	n := len(blocks)
	sync := blocks[n-1]
	if n < 2 || sync.kind != 0 || sync.stored != 0 || sync.final {
		return fmt.Errorf("cab: internal error: compressor output for data block %d does not end with a sync flush", e.count)
	}
	if !e.g.bad || disableGuard {
		// Make the block before the sync marker final and drop the
		// marker. Its three header bits and the padding after them are
		// zero, so the cut byte needs no masking.
		last := blocks[n-2]
		p[last.start>>3] |= 1 << (last.start & 7)
		e.out = e.out[:body+(sync.start+7)>>3]
	} else {
		if err := e.g.scan(p, hist, len(raw), false, true); err != nil {
			return fmt.Errorf("cab: internal error: rescanning data block %d: %w", e.count, err)
		}
		e.out = e.g.reencode(e.out[:body], raw)
		if err := e.g.scan(e.out[body:], hist, len(raw), true, false); err != nil || e.g.bad {
			return fmt.Errorf("cab: internal error: re-encoded data block %d fails the self-check (%v)", e.count, err)
		}
	}
	cb := len(e.out) - start - dataSize
	if cb > maxFramePayload {
		// Cannot happen with a stored block available as a fallback, but
		// a frame this size would break readers, so check.
		return fmt.Errorf("cab: internal error: data block %d is %d bytes", e.count, cb)
	}
	hdr := e.out[start : start+dataSize]
	le.PutUint16(hdr[4:], uint16(cb))
	le.PutUint16(hdr[6:], uint16(len(raw)))
	le.PutUint32(hdr[0:], blockChecksum(hdr[4:8], e.out[start+dataSize:]))
	e.done += len(raw)
	e.fill = 0
	e.count++
	if len(e.out) > e.limit {
		return errTooLarge
	}
	return nil
}
