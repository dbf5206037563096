package provxml

import "strings"

// The w10m checks against the CSP descriptions (PX06xx). sc.node is the
// description's node whose children e names; it is nil outside a
// described CSP, below a node that is not in the description, and for
// wm6, so these functions cost nothing there.

// ddfChild resolves the node that e's attr (type or name) names under
// sc.node, reporting a name that is not in the description.
func (c *checker) ddfChild(e *Element, sc scope, attr string) *cspNode {
	if sc.node == nil {
		return nil
	}
	name, _ := e.Attr(attr)
	if name == "" {
		return nil
	}
	n, suggest := sc.node.child(name)
	if n != nil {
		return n
	}
	hint := ""
	switch {
	case suggest != "":
		hint = " (did you mean " + q(suggest) + "?)"
	case len(sc.node.children) > 0 && len(sc.node.children) <= 8:
		hint = "; it has " + strings.Join(sc.node.names(), ", ")
	case len(sc.node.children) == 0:
		hint = "; it has no child nodes"
	}
	c.add(e.AttrPos(attr), &RuleUnknownNode, "%s is not a node of %s in the %s CSP's description%s", q(short(name)), sc.path, sc.csp, hint)
	return nil
}

// ddfParm checks a parm against its node: that it names a value, that the
// node can be set (or executed, with exec), and that the value fits the
// node's format and allowed values. valueReported says that the datatype's
// own rule has already reported the value.
func (c *checker) ddfParm(e *Element, sc scope, valueReported bool) {
	n := c.ddfChild(e, sc, "name")
	if n == nil {
		return
	}
	name, _ := e.Attr("name")
	path := sc.path + "/" + name
	if n.interior() {
		c.add(e.AttrPos("name"), &RuleNodeKind, "%s is a node that holds others, not a value: address it with <characteristic type=%q>", path, short(name))
		return
	}
	if _, exec := e.Attr("exec"); exec {
		if n.access != 0 && n.access&accExec == 0 {
			c.add(e.AttrPos("exec"), &RuleNodeAccess, "%s cannot be executed: its access type is %s", path, accessString(n.access))
		}
		return
	}
	if n.access != 0 && n.access&(accAdd|accReplace|accExec) == 0 {
		c.add(e.Pos, &RuleNodeAccess, "%s is read-only (access type %s): the device refuses to set it; remove the parm", path, accessString(n.access))
		return
	}
	value, ok := e.Attr("value")
	if !ok || valueReported {
		return
	}
	vpos := e.AttrPos("value")
	if msg := checkFormat(n.format, value); msg != "" {
		c.add(vpos, &RuleNodeFormat, "%s of %s %s (the node's format is %s)", q(short(value)), path, msg, n.format)
		return
	}
	if ok, want := n.allowed(value); !ok {
		c.add(vpos, &RuleAllowedValue, "%s is not allowed for %s: the description allows %s", q(short(value)), path, want)
	}
}

// ddfDelete checks that the node a noparm or nocharacteristic removes
// can be deleted.
func (c *checker) ddfDelete(e *Element, sc scope, attr string) {
	n := c.ddfChild(e, sc, attr)
	if n == nil || n.access == 0 || n.access&accDelete != 0 {
		return
	}
	name, _ := e.Attr(attr)
	c.add(e.Pos, &RuleNodeAccess, "%s/%s cannot be deleted: its access type is %s", sc.path, short(name), accessString(n.access))
}

func accessString(a uint8) string {
	var parts []string
	for _, x := range []struct {
		bit  uint8
		name string
	}{{accAdd, "Add"}, {accDelete, "Delete"}, {accExec, "Exec"}, {accGet, "Get"}, {accReplace, "Replace"}} {
		if a&x.bit != 0 {
			parts = append(parts, x.name)
		}
	}
	return strings.Join(parts, "+")
}
