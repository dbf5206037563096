package manifest

import "testing"

func TestVersionFourPart(t *testing.T) {
	v := MustParseVersion("10.0.15063.107")
	if !v.IsFourPart() || v.String() != "10.0.15063.107" || v.Parts() != [4]uint64{10, 0, 15063, 107} {
		t.Errorf("got %v %v %v", v.IsFourPart(), v, v.Parts())
	}
	if s := MustParseVersion("1.2.3"); s.IsFourPart() || s.Parts() != [4]uint64{1, 2, 3, 0} {
		t.Errorf("1.2.3: %v", s.Parts())
	}
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"1.2.3.4", "1.2.3.5", -1}, {"1.2.3.4", "1.2.3", 1}, {"1.2.3.0", "1.2.3", 0},
		{"1.2.4.0", "1.2.3.9", 1}, {"1.2.3-rc.1", "1.2.3.0", -1},
	} {
		if got := MustParseVersion(c.a).Compare(MustParseVersion(c.b)); got != c.want {
			t.Errorf("%s vs %s: %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestVersionInc(t *testing.T) {
	for _, c := range []struct{ from, kind, want string }{
		{"1.2.3", "patch", "1.2.4"}, {"1.2.3", "minor", "1.3.0"}, {"1.2.3", "major", "2.0.0"},
		{"1.2.3-rc.1", "patch", "1.2.3"}, {"1.2.3+7", "patch", "1.2.4"},
		{"10.0.3.7", "patch", "10.0.3.8"}, {"10.0.3.7", "minor", "10.1.0.0"}, {"10.0.3.7", "major", "11.0.0.0"},
	} {
		if got := MustParseVersion(c.from).Inc(c.kind).String(); got != c.want {
			t.Errorf("%s --%s: %s, want %s", c.from, c.kind, got, c.want)
		}
	}
}

func TestVersionCheckW10M(t *testing.T) {
	for v, ok := range map[string]bool{
		"65535.65535.65535.65535": true, "1.2.3": true, "70000.1.0": false, "1.70000.0": false,
		"1.2.70000": false, "1.2.3.65536": false, "1.2.3-rc.1": false, "1.2.3+7": false,
	} {
		if err := MustParseVersion(v).CheckW10M(); (err == nil) != ok {
			t.Errorf("%s: %v", v, err)
		}
	}
	// a bump past the limit is refused by the same check
	if err := MustParseVersion("1.2.3.65535").Inc("patch").CheckW10M(); err == nil {
		t.Error("1.2.3.65536 accepted")
	}
}
