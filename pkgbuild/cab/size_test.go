package cab

import (
	"bytes"
	"testing"
)

// TestCompressedSize: a one-member cabinet is its headers, one CFDATA
// header per 32 KiB and the member's compressed size.
func TestCompressedSize(t *testing.T) {
	for _, n := range []int{0, 1, 1000, frameSize, frameSize + 1, 3*frameSize + 17} {
		data := bytes.Repeat([]byte("<parm name=\"x\" value=\"1\"/>\n"), n/27+1)[:n]
		if n == 0 {
			data = []byte{}
		}
		got, err := CompressedSize(data, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			if got != 0 {
				t.Errorf("empty member: %d", got)
			}
			continue
		}
		var buf bytes.Buffer
		if err := Write(&buf, []File{{Name: "a", Data: data}}, WriteOptions{ModTime: testTime}); err != nil {
			t.Fatal(err)
		}
		blocks := (n + frameSize - 1) / frameSize
		want := int64(buf.Len() - headerSize - folderSize - fileSize - len("a") - 1 - dataSize*blocks)
		if got != want {
			t.Errorf("%d bytes: CompressedSize %d, the cabinet holds %d", n, got, want)
		}
	}
}
