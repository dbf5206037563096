package quote

import "testing"

func TestName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"mxipupdate_OEM_Base_100.provxml", "mxipupdate_OEM_Base_100.provxml"},
		{"Café 1.provxml", "Café 1.provxml"},
		{`HKLM\Software\Contoso`, `HKLM\Software\Contoso`},
		// Hostile: a terminal escape sequence (ESC), a bell, a line that
		// forges output, an invalid byte, a right-to-left override.
		{"a\x1b[2Jb", `"a\x1b[2Jb"`},
		{"bell\a", `"bell\a"`},
		{"x\nprovpack: all members OK", `"x\nprovpack: all members OK"`},
		{"bad\xff", `"bad\xff"`},
		{"evil\u202etxt.exe", `"evil\u202etxt.exe"`},
		{"tab\there", `"tab\there"`},
		{"del\x7f", `"del\x7f"`},
	} {
		if got := Name(tc.in); got != tc.want {
			t.Errorf("Name(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
