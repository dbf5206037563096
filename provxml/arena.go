package provxml

// Arena holds the memory the parser carves elements and attribute lists
// from, so that a caller parsing many documents one after another (a
// build, package by package) can use the same memory again instead of
// asking the runtime for fresh pages each time. A parser given an Arena
// (ParseOptions.Arena) takes its slabs from it.
//
// Reset hands the memory back for the next documents: every document
// parsed with the arena since the last Reset must be dead by then. The
// strings of a document (names, values) never live in the arena, so
// settings flattened from it stay valid; its Elements and Attrs do not.
// An Arena is not safe for concurrent use.
type Arena struct {
	elems chunks[Element]
	attrs chunks[Attr]
	kids  chunks[*Element]
}

// Reset makes the arena's memory available again. See Arena.
func (a *Arena) Reset() {
	a.elems.reset()
	a.attrs.reset()
	a.kids.reset()
}

// The arena's chunk lists; nil without an arena.
func (a *Arena) elemChunks() *chunks[Element] {
	if a == nil {
		return nil
	}
	return &a.elems
}

func (a *Arena) attrChunks() *chunks[Attr] {
	if a == nil {
		return nil
	}
	return &a.attrs
}

func (a *Arena) kidChunks() *chunks[*Element] {
	if a == nil {
		return nil
	}
	return &a.kids
}

// chunks is a list of slabs, handed out in order.
type chunks[T any] struct {
	list [][]T
	next int // slabs handed out since the last reset
}

// get returns an empty slab with room for at least n items: the next
// kept one when it is large enough, or a new one of size items (size ≥
// n).
func (c *chunks[T]) get(n, size int) []T {
	if c.next < len(c.list) && cap(c.list[c.next]) >= n {
		s := c.list[c.next]
		c.next++
		return s[:0]
	}
	s := make([]T, 0, size)
	// A slab too small for n stays where it is for later documents.
	c.list = append(c.list, nil)
	copy(c.list[c.next+1:], c.list[c.next:])
	c.list[c.next] = s
	c.next++
	return s
}

// reset hands the slabs out again from the first. They are not cleared:
// the parser zeroes each element it takes, and attribute and child lists
// are copied over, so clearing would only touch memory the next
// documents may not reach.
func (c *chunks[T]) reset() { c.next = 0 }
