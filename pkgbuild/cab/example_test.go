package cab_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"log"
	"time"

	"github.com/provpack/provpack/pkgbuild/cab"
)

// Write is reproducible: the same files and options give the same bytes,
// whatever the order of the files. The digest below pins that.
func ExampleWrite() {
	files := []cab.File{
		{Name: "mxipupdate_contoso_001.provxml", Data: []byte("<wap-provisioningdoc version=\"1.1\"/>\n")},
		{Name: "manifest/package.xml", Data: []byte("<Package Owner=\"Contoso\"/>\n")},
	}
	var buf bytes.Buffer
	opt := cab.WriteOptions{ModTime: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := cab.Write(&buf, files, opt); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d bytes, sha256 %x\n", buf.Len(), sha256.Sum256(buf.Bytes()))
	// Output: 207 bytes, sha256 77d3a609e4de9327d63a822dac7af4d62b4161b0cfda70180e29d473de993add
}

func ExampleCabinet_Extract() {
	var buf bytes.Buffer
	files := []cab.File{{Name: "b.txt", Data: []byte("second")}, {Name: "dir/a.txt", Data: []byte("first")}}
	if err := cab.Write(&buf, files, cab.WriteOptions{ModTime: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		log.Fatal(err)
	}
	c, err := cab.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		log.Fatal(err)
	}
	err = c.Extract(func(e cab.Entry, r io.Reader) error {
		data, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		fmt.Printf("%s %d %s %q\n", e.Name, e.Size, e.Modified.Format(time.DateOnly), data)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// b.txt 6 2024-01-01 "second"
	// dir\a.txt 5 2024-01-01 "first"
}
