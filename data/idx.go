package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/bits"
	"os"
	"strconv"
	"strings"
)

// maxIDXBytes is the largest (decompressed) IDX stream ReadIDX accepts, and
// the largest dimension it accepts. It bounds memory use on hostile or
// corrupt input; the largest MNIST-format file (60000 training images) is
// about 47 MB.
const maxIDXBytes = 1 << 30

// typeUnsignedByte is the IDX data-type code for unsigned bytes, the only
// type used by the MNIST-format datasets.
const typeUnsignedByte = 0x08

// ReadIDX reads one IDX file, gzip-compressed or raw, and returns its
// dimensions and its data bytes.
//
// Compression is detected from the gzip magic bytes 0x1f 0x8b, not from the
// file name. The header is four magic bytes (0, 0, the data type, the number
// of dimensions) followed by one big-endian uint32 per dimension. Only the
// unsigned-byte data type (0x08) and 1 to 4 dimensions are accepted.
//
// The whole (decompressed) stream is read, up to maxIDXBytes, before the
// header's claimed size is compared with the bytes actually present, so a
// hostile header never causes a large allocation. The data must be exactly
// as long as the product of the dimensions: a short file is reported as
// truncated and trailing bytes after the data are rejected.
func ReadIDX(path string) (dims []int, data []byte, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read IDX: %w", err)
	}
	defer f.Close()
	return readIDX(f, path)
}

// readIDX is ReadIDX on an open stream; name is used in error messages.
func readIDX(r io.Reader, name string) (dims []int, data []byte, err error) {
	br := bufio.NewReader(r)
	var src io.Reader = br
	compressed := false
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: corrupt gzip stream: %v; re-download the file", name, err)
		}
		defer zr.Close()
		src = zr
		compressed = true
	}
	buf, err := io.ReadAll(io.LimitReader(src, maxIDXBytes+1))
	if err != nil {
		if compressed {
			return nil, nil, fmt.Errorf("read %s: corrupt gzip stream: %v; re-download the file", name, err)
		}
		return nil, nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(buf) > maxIDXBytes {
		return nil, nil, fmt.Errorf("read %s: larger than the %d-byte limit for IDX files", name, maxIDXBytes)
	}
	return parseIDX(buf, name)
}

// parseIDX splits a decompressed IDX stream into its dimensions and data.
// The returned data aliases buf.
func parseIDX(buf []byte, name string) (dims []int, data []byte, err error) {
	if len(buf) < 4 {
		return nil, nil, fmt.Errorf("read %s: truncated: %d bytes is too short for the 4-byte IDX magic; is this an IDX file?", name, len(buf))
	}
	if buf[0] != 0 || buf[1] != 0 || buf[3] < 1 || buf[3] > 4 {
		return nil, nil, fmt.Errorf("read %s: bad magic % x: want 00 00 08 0N with 1 <= N <= 4 dims; is this an IDX file?", name, buf[:4])
	}
	if buf[2] != typeUnsignedByte {
		return nil, nil, fmt.Errorf("read %s: unsupported data type 0x%02x: only unsigned byte (0x08) is accepted", name, buf[2])
	}
	nd := int(buf[3])
	hdr := 4 + 4*nd
	if len(buf) < hdr {
		return nil, nil, fmt.Errorf("read %s: truncated header: %d dims need %d header bytes, got %d", name, nd, hdr, len(buf))
	}
	// Work in uint64 with an overflow check: four 32-bit dims can multiply to
	// 2^128, and dims above 2^31 do not fit a 32-bit int.
	udims := make([]uint64, nd)
	var size uint64 = 1
	overflow := false
	for i := range udims {
		p := buf[4+4*i:]
		d := uint64(p[0])<<24 | uint64(p[1])<<16 | uint64(p[2])<<8 | uint64(p[3])
		udims[i] = d
		hi, lo := bits.Mul64(size, d)
		if hi != 0 {
			overflow = true
		}
		size = lo
	}
	data = buf[hdr:]
	got := uint64(len(data))
	switch {
	case overflow:
		return nil, nil, fmt.Errorf("read %s: truncated: header dims %s promise more than 2^64 data bytes, got %d", name, formatDims(udims), got)
	case got < size:
		return nil, nil, fmt.Errorf("read %s: truncated: header dims %s promise %d data bytes, got %d; re-download the file", name, formatDims(udims), size, got)
	case got > size:
		return nil, nil, fmt.Errorf("read %s: %d trailing bytes after the %d data bytes that header dims %s promise", name, got-size, size, formatDims(udims))
	}
	// The size matches, so a dim above the limit can only sit beside a zero
	// dim; reject it rather than return a useless, overflow-prone shape.
	dims = make([]int, nd)
	for i, d := range udims {
		if d > maxIDXBytes {
			return nil, nil, fmt.Errorf("read %s: header dims %s: dim %d is larger than the %d limit", name, formatDims(udims), d, maxIDXBytes)
		}
		dims[i] = int(d)
	}
	return dims, data, nil
}

// formatDims writes dims as "60000x28x28".
func formatDims[T int | uint64](dims []T) string {
	s := make([]string, len(dims))
	for i, d := range dims {
		s[i] = strconv.FormatUint(uint64(d), 10)
	}
	return strings.Join(s, "x")
}

// encodeIDX returns the raw IDX encoding of unsigned-byte data with the given
// dimensions. It does not check that len(data) matches dims. It is used by
// the tests.
func encodeIDX(dims []int, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, typeUnsignedByte, byte(len(dims))})
	for _, d := range dims {
		b.Write([]byte{byte(d >> 24), byte(d >> 16), byte(d >> 8), byte(d)})
	}
	b.Write(data)
	return b.Bytes()
}
