package manifest

import (
	"testing"
)

// The expected values were computed independently with Python's
// uuid.uuid5(uuid.UUID("15fef5f1-dcc1-49a1-9416-08c41ac910e0"), name).
// They must never change: a changed derived GUID is a new package identity
// on every device.
func TestDeriveGUIDPinned(t *testing.T) {
	for _, tc := range []struct{ image, name, want string }{
		{"contoso-mc55", "OEM_Base", "91d7aa4d-d2ba-5a08-a4a4-2fa9adfacc7f"},
		{"contoso-mc55", "oem_base", "91d7aa4d-d2ba-5a08-a4a4-2fa9adfacc7f"},
		{"Contoso-MC55", "OEM_BASE", "91d7aa4d-d2ba-5a08-a4a4-2fa9adfacc7f"},
		{"contoso-mc55", "OEM_Scanner", "f0683ebf-09a1-5a6a-b0e6-fd77b7311816"},
	} {
		if got := DeriveGUID(tc.image, tc.name).String(); got != tc.want {
			t.Errorf("DeriveGUID(%q, %q) = %s, want %s", tc.image, tc.name, got, tc.want)
		}
	}
	if GUIDNamespace.String() != "15fef5f1-dcc1-49a1-9416-08c41ac910e0" {
		t.Errorf("the GUID namespace changed: %s", GUIDNamespace)
	}
}

func TestWithDefaults(t *testing.T) {
	m, err := Load("testdata/valid/spec.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m.Format = ""
	m.Ordinals = nil
	m.WithDefaults()
	if m.Format != FormatCab || m.Ordinals.Start != 100 || m.Ordinals.Step != 100 {
		t.Errorf("format %q ordinals %+v", m.Format, m.Ordinals)
	}
	base, scanner := m.Package("OEM_Base"), m.Package("OEM_Scanner")
	if !base.GUIDDerived || base.GUID.String() != "91d7aa4d-d2ba-5a08-a4a4-2fa9adfacc7f" {
		t.Errorf("derived GUID: %s %v", base.GUID, base.GUIDDerived)
	}
	if scanner.GUIDDerived || scanner.GUID.String() != "0b6c7a52-0f51-4c1e-9a43-5b0d1c1f7e21" {
		t.Errorf("given GUID: %s %v", scanner.GUID, scanner.GUIDDerived)
	}
	// idempotent
	g := base.GUID
	m.WithDefaults()
	if base.GUID != g || !base.GUIDDerived {
		t.Error("WithDefaults is not idempotent")
	}

	w, err := Parse("w.yaml", Starter("phone", "w10m"))
	if err != nil {
		t.Fatal(err)
	}
	w.WithDefaults()
	if w.Ordinals.Start != 1 || w.Ordinals.Step != 1 {
		t.Errorf("w10m ordinals %+v", w.Ordinals)
	}

	// a partial ordinals mapping keeps the target's value for the rest
	p, err := Parse("p.yaml", []byte("image: x\nrelease: 1.0.0\ntarget: wm6\nordinals: {start: 200}\npackages: [{name: A, version: 1.0.0, owner: oem}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	p.WithDefaults()
	if p.Ordinals.Start != 200 || p.Ordinals.Step != 100 {
		t.Errorf("partial ordinals %+v", p.Ordinals)
	}
}

func TestGUIDCollidesWithDerived(t *testing.T) {
	data := []byte("image: contoso-mc55\nrelease: 1.0.0\ntarget: wm6\npackages:\n" +
		"  - {name: OEM_Base, version: 1.0.0, owner: oem}\n" +
		"  - {name: OEM_Other, version: 1.0.0, owner: oem, guid: 91d7aa4d-d2ba-5a08-a4a4-2fa9adfacc7f}\n")
	_, err := Parse("m.yaml", data)
	want := `m.yaml:6:57: packages[1].guid: GUID 91d7aa4d-d2ba-5a08-a4a4-2fa9adfacc7f is the one derived for package "OEM_Base" at line 5; give one of them another GUID`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}
