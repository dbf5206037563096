package manifest

import (
	"encoding/hex"
	"fmt"
	"io/fs"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// The struct tags below are the single source of truth for the manifest's
// keys. The decoder (decode.go), the JSON Schema (schema.go) and the tests
// all read them by reflection, so a key cannot be added to one and
// forgotten in another.
//
//	yaml:"key"        the YAML key (",omitempty" is ignored here)
//	check:"..."       comma-separated rules:
//	                    required    the key must be written
//	                    nonempty    a list or map must have at least one entry
//	                    oneof=G     exactly one key of group G must be written
//	                    anyof=G     at least one key of group G must be written
//	                    min=N,max=N integer bounds
//	                    empty       a string may be "" (strings may not by default)
//	                    name=K      the string (or, for a map, each key) follows
//	                                naming rule K (see nameRules)
//	                    glob        the string is a source file pattern (see
//	                                checkGlob and globRules)
//	                    ruleids     each entry names a rule a package may
//	                                silence; Parse does not check it (the rules
//	                                live in provxml and pkgbuild, whose plan
//	                                refuses an unknown or error-level ID with
//	                                PP0106), the schema enumerates the IDs
//	                                given to Schema
//	doc:"..."         the description shown in the JSON Schema

// Manifest is one image: what provpack.yaml says. Parse fills it and
// WithDefaults completes it.
type Manifest struct {
	Image    string    `yaml:"image" check:"required,name=image" doc:"Image name; part of every derived package GUID."`
	Release  Version   `yaml:"release" check:"required" doc:"This image release, strict semver (MAJOR.MINOR.PATCH)."`
	Target   Target    `yaml:"target" check:"required" doc:"Target platform: wm6 (Windows Mobile 5/6.x, Windows Embedded Handheld 6.5) or w10m (Windows Phone 8 / Windows 10 Mobile)."`
	Format   Format    `yaml:"format,omitempty" doc:"Package archive format; cab when absent."`
	Ordinals *Ordinals `yaml:"ordinals,omitempty" doc:"First ordinal and step for generated file names; the target's default when absent (wm6: 100/100; w10m: fixed at 1/1)."`
	Signing  Signing   `yaml:"signing,omitempty" doc:"required: build --release refuses to run without a signing key (--sign-cert and --sign-key, --sign-pkcs12 or --sign-command); optional when absent."`
	Company  string    `yaml:"company,omitempty" check:"name=company" doc:"w10m only, and required there: the company that owns the packages, written as Identity/Owner of each package and as the first part of its .spkg name."`
	CPU      CPU       `yaml:"cpu,omitempty" doc:"w10m only: the device's processor, written as CpuType: arm (the default), x86 or arm64."`
	// ReleaseType is the only key of two words: it carries the name of
	// the element it fills (ReleaseType), which users of Microsoft's
	// package generator know.
	ReleaseType ReleaseType `yaml:"releaseType,omitempty" doc:"w10m only: production (the default) or test, written as ReleaseType; test packages cannot be signed for retail devices."`
	Packages    []*Package  `yaml:"packages" check:"required,nonempty" doc:"The Image Update packages of this image."`

	// File is the name the manifest was parsed under, as given to Parse.
	File string `yaml:"-"`

	Positions `yaml:"-"`
}

// Ordinals fixes the NNN part of generated file names.
type Ordinals struct {
	Start int `yaml:"start,omitempty" check:"min=1,max=999" doc:"Ordinal of a package's first file of each class (1-999)."`
	Step  int `yaml:"step,omitempty" check:"min=1,max=999" doc:"Amount added to the ordinal for each new file (1-999)."`

	Positions `yaml:"-"`
}

// Package is one Image Update package.
type Package struct {
	Name         string                `yaml:"name" check:"required,name=package" doc:"Image Update package name, used in file names: ASCII letters, digits, _ and -, at most 64 characters; unique in the image ignoring case."`
	GUID         GUID                  `yaml:"guid,omitempty" doc:"Stable package GUID (8-4-4-4-12 hex digits, no braces); derived from the image and package name when absent."`
	Version      Version               `yaml:"version" check:"required" doc:"Package version, strict semver (MAJOR.MINOR.PATCH); on w10m also a.b.c.d, every part 0-65535, no pre-release or build metadata. Raise it whenever an update file changes, or devices will not re-run it."`
	Owner        Owner                 `yaml:"owner" check:"required" doc:"Owner class: microsoft, silicon, oem or operator."`
	Requires     map[string]Constraint `yaml:"requires,omitempty" check:"name=package" doc:"Packages of this image this one depends on, each with a semver constraint its version in this image must satisfy."`
	SubComponent string                `yaml:"subcomponent,omitempty" check:"name=subcomponent" doc:"w10m only: the package's SubComponent, the last part of its .spkg name <company>.<package>.<subcomponent>.spkg; none when absent."`
	Cold         []*Source             `yaml:"cold,omitempty" doc:"Sources processed only at cold boot (mxipcold_ files; on w10m at $(runtime.coldBootProvxmlOEM))."`
	Update       []*Source             `yaml:"update,omitempty" doc:"Sources processed at cold boot and re-applied on every update of this package."`
	Suppress     []string              `yaml:"suppress,omitempty" check:"ruleids" doc:"Warning-level rule IDs silenced for this package's sources, e.g. PX0201 (provpack lint --rules lists them)."`

	// GUIDDerived is set by WithDefaults when GUID was not written and was
	// derived from the image and package name.
	GUIDDerived bool `yaml:"-"`

	Positions `yaml:"-"`
}

// Source is one provisioning source: a .provxml file (or glob), or inline
// settings.
type Source struct {
	File     string     `yaml:"file,omitempty" check:"oneof=source,glob" doc:"A .provxml file, or a glob of them, relative to the manifest's directory, written with forward slashes."`
	Settings []*Setting `yaml:"settings,omitempty" check:"oneof=source,nonempty" doc:"Inline settings, turned into provisioning XML in the order written."`

	// Matches is the sorted list of files File matched, relative to the
	// manifest's directory and slash-separated. CheckSources fills it.
	Matches []string `yaml:"-"`
	// Stats[i] is what CheckSources saw of Matches[i] (of the file a
	// symlink points to): a build compares it with the last build's to
	// tell that nothing changed.
	Stats []fs.FileInfo `yaml:"-"`
	// Dirs lists the directories read to expand a glob, relative to the
	// manifest's directory and slash-separated: a file added to one of
	// them changes its stamp, which a build watches.
	Dirs []string `yaml:"-"`
	// DirStats[i] is what CheckSources saw of Dirs[i], before reading it.
	DirStats []fs.FileInfo `yaml:"-"`

	Positions `yaml:"-"`
}

// Setting is one characteristic of inline settings.
type Setting struct {
	CSP            string   `yaml:"csp" check:"required" doc:"Configuration service provider, the outermost characteristic type, e.g. Registry."`
	Characteristic Path     `yaml:"characteristic" check:"required" doc:"The characteristic below the CSP: one type (e.g. a registry key path) or a list of nested types."`
	Parms          []*Parm  `yaml:"parms,omitempty" check:"anyof=action,nonempty" doc:"Parameters to set."`
	Delete         []string `yaml:"delete,omitempty" check:"anyof=action,nonempty" doc:"Names of parameters to delete (noparm)."`

	Positions `yaml:"-"`
}

// Parm is one parameter to set.
type Parm struct {
	Name     string   `yaml:"name" check:"required" doc:"Parameter name."`
	Value    string   `yaml:"value,omitempty" check:"empty" doc:"Value, as written in the XML; quote it to keep YAML from reading it as a number or boolean."`
	Datatype Datatype `yaml:"datatype,omitempty" doc:"Datatype: integer, string, float, boolean, binary, multiplestring; time and date on w10m only."`

	Positions `yaml:"-"`
}

// Target is the platform an image is built for.
type Target string

// The targets.
const (
	TargetWM6  Target = "wm6"
	TargetW10M Target = "w10m"
)

func (Target) values() []string { return []string{string(TargetWM6), string(TargetW10M)} }

// DefaultOrdinals returns the ordinals a target uses when the manifest
// gives none.
func (t Target) DefaultOrdinals() Ordinals {
	if t == TargetW10M {
		return Ordinals{Start: 1, Step: 1}
	}
	return Ordinals{Start: 100, Step: 100}
}

// CPU is the processor a w10m package is built for (CpuType).
type CPU string

// The processors.
const (
	CPUARM   CPU = "arm"
	CPUX86   CPU = "x86"
	CPUARM64 CPU = "arm64"
)

func (CPU) values() []string { return []string{string(CPUARM), string(CPUX86), string(CPUARM64)} }

// ReleaseType is a w10m package's ReleaseType.
type ReleaseType string

// The release types.
const (
	ReleaseProduction ReleaseType = "production"
	ReleaseTest       ReleaseType = "test"
)

func (ReleaseType) values() []string { return []string{string(ReleaseProduction), string(ReleaseTest)} }

// Datatypes returns the parm datatypes the target accepts.
func (t Target) Datatypes() []Datatype {
	d := []Datatype{DatatypeInteger, DatatypeString, DatatypeFloat, DatatypeBoolean, DatatypeBinary, DatatypeMultipleString}
	if t == TargetW10M {
		d = append(d, DatatypeTime, DatatypeDate)
	}
	return d
}

// Format is a package archive format.
type Format string

// The archive formats.
const (
	FormatCab    Format = "cab"
	FormatTarZst Format = "tar.zst"
)

func (Format) values() []string { return []string{string(FormatCab), string(FormatTarZst)} }

// Signing says whether an image's archives must be signed.
type Signing string

// The signing requirements.
const (
	SigningOptional Signing = "optional"
	SigningRequired Signing = "required"
)

func (Signing) values() []string { return []string{string(SigningOptional), string(SigningRequired)} }

// Owner is the owner class of a package.
type Owner string

// The owner classes.
const (
	OwnerMicrosoft Owner = "microsoft"
	OwnerSilicon   Owner = "silicon"
	OwnerOEM       Owner = "oem"
	OwnerOperator  Owner = "operator"
)

func (Owner) values() []string {
	return []string{string(OwnerMicrosoft), string(OwnerSilicon), string(OwnerOEM), string(OwnerOperator)}
}

// Datatype is the datatype of a parm.
type Datatype string

// The datatypes. Time and date exist on w10m only.
const (
	DatatypeInteger        Datatype = "integer"
	DatatypeString         Datatype = "string"
	DatatypeFloat          Datatype = "float"
	DatatypeBoolean        Datatype = "boolean"
	DatatypeBinary         Datatype = "binary"
	DatatypeMultipleString Datatype = "multiplestring"
	DatatypeTime           Datatype = "time"
	DatatypeDate           Datatype = "date"
)

func (Datatype) values() []string {
	return []string{"integer", "string", "float", "boolean", "binary", "multiplestring", "time", "date"}
}

// enum is implemented by the string types that take one of a fixed set
// of values.
type enum interface{ values() []string }

// checkEnum returns an error message when s is not one of e's values.
func checkEnum(e enum, what, s string) error {
	vals := e.values()
	for _, v := range vals {
		if s == v {
			return nil
		}
	}
	msg := fmt.Sprintf("%q is not a known %s (want %s)", s, what, orList(vals))
	if d := suggest(s, vals); d != "" {
		msg += fmt.Sprintf("; did you mean %q?", d)
	}
	return fmt.Errorf("%s", msg)
}

// Version is a package or release version: a strict semantic version
// (MAJOR.MINOR.PATCH with an optional -prerelease and +build, no "v"
// prefix, no leading zeros), or the four-part form a.b.c.d of Windows
// Phone packages (Major, Minor, QFE, Build). Which form a version may
// take, and how large its parts may be, is the target's rule (see
// CheckW10M); the type accepts both. The zero Version is "not set".
type Version struct {
	v *semver.Version
	// build is the fourth part of a four-part version; four tells the
	// forms apart (1.2.3.0 is not 1.2.3).
	build uint64
	four  bool
}

// MaxW10MPart is the largest value of a w10m version part: the device
// side manifest stores each as an unsigned 16-bit number.
const MaxW10MPart = 65535

// ParseVersion parses a strict semantic version or a four-part a.b.c.d.
func ParseVersion(s string) (Version, error) {
	if v, ok := parseFour(s); ok {
		return v, nil
	}
	v, err := semver.StrictNewVersion(s)
	if err != nil {
		hint := "e.g. 1.0.0"
		if loose, lerr := semver.NewVersion(s); lerr == nil && len(s) <= 64 {
			hint = "e.g. " + loose.String()
		}
		if strings.Count(s, ".") == 3 && len(s) <= 64 {
			return Version{}, fmt.Errorf("%q is not a four-part version (want a.b.c.d, decimal parts without leading zeros, e.g. 10.0.1.0)", s)
		}
		return Version{}, fmt.Errorf("%q is not strict semver (want MAJOR.MINOR.PATCH, %s)", s, hint)
	}
	return Version{v: v}, nil
}

// ParseRelease parses an image release: strict semver only, the rule of
// the manifest's release key (four-part versions are for w10m packages).
func ParseRelease(s string) (Version, error) {
	v, err := ParseVersion(s)
	if err != nil {
		return Version{}, err
	}
	if err := v.checkRelease(); err != nil {
		return Version{}, err
	}
	return v, nil
}

// checkRelease is the release rule on a parsed version.
func (v Version) checkRelease() error {
	if v.four {
		return fmt.Errorf("release %s: the image release is semver (MAJOR.MINOR.PATCH); four-part versions are for w10m packages", v)
	}
	return nil
}

// parseFour parses a.b.c.d: four decimal parts without leading zeros or
// signs.
func parseFour(s string) (Version, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return Version{}, false
	}
	var n [4]uint64
	for i, p := range parts {
		if p == "" || len(p) > 1 && p[0] == '0' || len(p) > 19 {
			return Version{}, false
		}
		for j := 0; j < len(p); j++ {
			if p[j] < '0' || p[j] > '9' {
				return Version{}, false
			}
			n[i] = n[i]*10 + uint64(p[j]-'0')
		}
	}
	return Version{v: semver.New(n[0], n[1], n[2], "", ""), build: n[3], four: true}, true
}

// MustParseVersion is ParseVersion for constants; it panics on an error.
func MustParseVersion(s string) Version {
	v, err := ParseVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}

func (v Version) String() string {
	switch {
	case v.v == nil:
		return ""
	case v.four:
		return fmt.Sprintf("%d.%d.%d.%d", v.v.Major(), v.v.Minor(), v.v.Patch(), v.build)
	}
	return v.v.String()
}

// IsZero reports whether v is unset.
func (v Version) IsZero() bool { return v.v == nil }

// IsFourPart reports whether v was written as a.b.c.d.
func (v Version) IsFourPart() bool { return v.four }

// Parts returns Major, Minor, QFE and Build as a w10m package manifest
// writes them: MAJOR, MINOR, PATCH and 0 for a semantic version.
func (v Version) Parts() [4]uint64 {
	if v.v == nil {
		return [4]uint64{}
	}
	return [4]uint64{v.v.Major(), v.v.Minor(), v.v.Patch(), v.build}
}

// CheckW10M says why v cannot be a w10m package version, or returns nil:
// the device side manifest has four unsigned 16-bit parts and nothing
// else, so a part above 65535 cannot be written, and pre-release or
// build metadata would be dropped, leaving 1.2.3-rc.1 and 1.2.3 the same
// version on the device.
func (v Version) CheckW10M() error {
	if v.v == nil {
		return nil
	}
	names := [4]string{"major", "minor", "patch (QFE)", "build"}
	if v.four {
		names[2] = "third (QFE)"
		names[3] = "fourth (Build)"
	}
	for i, p := range v.Parts() {
		if p > MaxW10MPart {
			return fmt.Errorf("version %s: the %s part %d is larger than %d; w10m package manifests store each version part as an unsigned 16-bit number", v, names[i], p, MaxW10MPart)
		}
	}
	if v.v.Prerelease() != "" || v.v.Metadata() != "" {
		return fmt.Errorf("version %s: w10m versions have no pre-release or build metadata (the device keeps only Major.Minor.QFE.Build, so %s would look the same as %d.%d.%d); use a.b.c or a.b.c.d", v, v, v.v.Major(), v.v.Minor(), v.v.Patch())
	}
	return nil
}

// Semver returns the underlying Masterminds version (nil when unset): for
// a four-part version, its first three parts.
func (v Version) Semver() *semver.Version { return v.v }

// Inc returns v raised by one step of kind "major", "minor" or "patch"
// (any other kind is "patch"), with the parts after it reset to 0 and
// pre-release and build metadata dropped. A four-part version keeps four
// parts, and its patch step raises the fourth part (Build), the smallest
// step of that form.
func (v Version) Inc(kind string) Version {
	if v.v == nil {
		return v
	}
	p := v.Parts()
	switch kind {
	case "major":
		p = [4]uint64{p[0] + 1, 0, 0, 0}
	case "minor":
		p = [4]uint64{p[0], p[1] + 1, 0, 0}
	default:
		if v.four {
			p[3]++
		} else {
			p = [4]uint64{p[0], p[1], p[2] + 1, 0}
			if v.v.Prerelease() != "" {
				// 1.2.3-rc.1 is followed by 1.2.3, as semver's IncPatch has it.
				p[2]--
			}
		}
	}
	return Version{v: semver.New(p[0], p[1], p[2], "", ""), build: p[3], four: v.four}
}

// Compare returns -1, 0 or +1 as v is lower than, equal to or higher than
// w by semver precedence, the fourth part of a four-part version deciding
// last (a missing one counts as 0). An unset version sorts first.
func (v Version) Compare(w Version) int {
	switch {
	case v.v == nil && w.v == nil:
		return 0
	case v.v == nil:
		return -1
	case w.v == nil:
		return 1
	}
	if c := v.v.Compare(w.v); c != 0 {
		return c
	}
	switch {
	case v.build < w.build:
		return -1
	case v.build > w.build:
		return 1
	}
	return 0
}

// MarshalText implements encoding.TextMarshaler.
func (v Version) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler, strictly.
func (v *Version) UnmarshalText(b []byte) error {
	w, err := ParseVersion(string(b))
	if err != nil {
		return err
	}
	*v = w
	return nil
}

func (v *Version) parseScalar(s string) error { return v.UnmarshalText([]byte(s)) }

// Constraint is a semver constraint such as ">=1.0.0" or "^1.2 || ~2.0",
// in the syntax of github.com/Masterminds/semver/v3.
type Constraint struct {
	text string
	c    *semver.Constraints
}

// ParseConstraint parses a semver constraint.
func ParseConstraint(s string) (Constraint, error) {
	if strings.TrimSpace(s) == "" {
		return Constraint{}, fmt.Errorf("empty constraint (want e.g. \">=1.0.0\")")
	}
	c, err := semver.NewConstraint(s)
	if err != nil {
		return Constraint{}, fmt.Errorf("%q is not a semver constraint: %v", s, err)
	}
	return Constraint{text: s, c: c}, nil
}

func (c Constraint) String() string { return c.text }

// Check reports whether v satisfies the constraint. An unset constraint
// or version never does.
func (c Constraint) Check(v Version) bool {
	if c.c == nil || v.v == nil {
		return false
	}
	return c.c.Check(v.v)
}

// why explains why v does not satisfy c.
func (c Constraint) why(v Version) string {
	if c.c == nil || v.v == nil {
		return ""
	}
	ok, reasons := c.c.Validate(v.v)
	if ok || len(reasons) == 0 {
		return ""
	}
	return reasons[0].Error()
}

// MarshalText implements encoding.TextMarshaler.
func (c Constraint) MarshalText() ([]byte, error) { return []byte(c.text), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *Constraint) UnmarshalText(b []byte) error {
	d, err := ParseConstraint(string(b))
	if err != nil {
		return err
	}
	*c = d
	return nil
}

func (c *Constraint) parseScalar(s string) error { return c.UnmarshalText([]byte(s)) }

// GUID is a package GUID. The zero GUID is "not set".
type GUID [16]byte

// ParseGUID parses the 8-4-4-4-12 hex form (either case, no braces).
func ParseGUID(s string) (GUID, error) {
	var g GUID
	bad := func(hint string) (GUID, error) {
		return GUID{}, fmt.Errorf("%q is not a GUID (want 8-4-4-4-12 hex digits, e.g. 0b6c7a52-0f51-4c1e-9a43-5b0d1c1f7e21%s)", s, hint)
	}
	if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
		return bad("; drop the braces")
	}
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return bad("")
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(g[:], []byte(h)); err != nil {
		return bad("")
	}
	if g == (GUID{}) {
		return GUID{}, fmt.Errorf("the nil GUID 00000000-0000-0000-0000-000000000000 cannot name a package")
	}
	return g, nil
}

// String returns the lower-case 8-4-4-4-12 form, or "" for the zero GUID.
func (g GUID) String() string {
	if g.IsZero() {
		return ""
	}
	h := hex.EncodeToString(g[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// IsZero reports whether g is unset.
func (g GUID) IsZero() bool { return g == GUID{} }

// MarshalText implements encoding.TextMarshaler.
func (g GUID) MarshalText() ([]byte, error) { return []byte(g.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (g *GUID) UnmarshalText(b []byte) error {
	h, err := ParseGUID(string(b))
	if err != nil {
		return err
	}
	*g = h
	return nil
}

func (g *GUID) parseScalar(s string) error { return g.UnmarshalText([]byte(s)) }

// Path is a characteristic path below the CSP, outermost first. In YAML it
// is either one string (one characteristic, e.g. a registry key path) or a
// list of strings (nested characteristics).
type Path []string

func (p Path) String() string { return strings.Join(p, "/") }

// scalarType is implemented (on the pointer) by the types decoded from one
// YAML scalar.
type scalarType interface {
	parseScalar(s string) error
}

// enumScalar adapts the string-based enums to scalarType.
func (t *Target) parseScalar(s string) error {
	if err := checkEnum(*t, "target", s); err != nil {
		return err
	}
	*t = Target(s)
	return nil
}

func (f *Format) parseScalar(s string) error {
	if err := checkEnum(*f, "format", s); err != nil {
		return err
	}
	*f = Format(s)
	return nil
}

func (o *Owner) parseScalar(s string) error {
	if err := checkEnum(*o, "owner", s); err != nil {
		return err
	}
	*o = Owner(s)
	return nil
}

func (c *CPU) parseScalar(s string) error {
	if err := checkEnum(*c, "cpu", s); err != nil {
		return err
	}
	*c = CPU(s)
	return nil
}

func (r *ReleaseType) parseScalar(s string) error {
	if err := checkEnum(*r, "release type", s); err != nil {
		return err
	}
	*r = ReleaseType(s)
	return nil
}

func (d *Datatype) parseScalar(s string) error {
	if err := checkEnum(*d, "datatype", s); err != nil {
		return err
	}
	*d = Datatype(s)
	return nil
}

// orList formats values as "a, b or c".
func orList(vals []string) string {
	switch len(vals) {
	case 0:
		return ""
	case 1:
		return vals[0]
	}
	return strings.Join(vals[:len(vals)-1], ", ") + " or " + vals[len(vals)-1]
}
