package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"strings"
)

// maxIDXBytes is the largest (decompressed) IDX data ReadIDX accepts, and
// the largest dimension it accepts. It bounds memory use on hostile or
// corrupt input; the largest MNIST-format file (60000 training images) is
// about 47 MB.
const maxIDXBytes = 1 << 28

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
// The header is read first, and the data after it is read with
// ReadAtMost bounded by the size the header promises (at most
// maxIDXBytes): a file that is no regular file (a link to /dev/zero), a
// hostile header or a gzip bomb never makes ReadIDX hold more than the
// header's size. The data must be exactly as long as the product of the
// dimensions: a short file is reported as truncated and trailing bytes
// after the data are rejected.
func ReadIDX(path string) (dims []int, data []byte, err error) {
	f, _, err := OpenRegular(path, -1)
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
	fail := func(err error) error {
		if compressed {
			return fmt.Errorf("read %s: corrupt gzip stream: %v; re-download the file", name, err)
		}
		return fmt.Errorf("read %s: %w", name, err)
	}
	// The magic, then the dimensions it announces.
	head, err := ReadAtMost(io.LimitReader(src, 4), 4)
	if err != nil {
		return nil, nil, fail(err)
	}
	if len(head) == 4 && head[0] == 0 && head[1] == 0 && head[3] >= 1 && head[3] <= 4 && head[2] == typeUnsignedByte {
		rest, err := ReadAtMost(io.LimitReader(src, 4*int64(head[3])), 16)
		if err != nil {
			return nil, nil, fail(err)
		}
		head = append(head, rest...)
	}
	hdr, size, overflow, herr := parseHeader(head, name)
	if herr != nil {
		return nil, nil, herr
	}
	// The data, bounded by what the header promises: one byte more tells
	// trailing bytes (and makes gzip check its trailer).
	want := uint64(maxIDXBytes)
	if !overflow {
		want = min(size, want)
	}
	data, err = ReadAtMost(src, int64(want))
	var tl *TooLargeError
	trailing := uint64(0)
	if errors.As(err, &tl) {
		// Count what follows without holding it.
		n, cerr := io.Copy(io.Discard, io.LimitReader(src, maxIDXBytes))
		if cerr != nil {
			return nil, nil, fail(cerr)
		}
		trailing = 1 + uint64(n)
		err = nil
	}
	if err != nil {
		return nil, nil, fail(err)
	}
	got := uint64(len(data))
	switch {
	case overflow:
		return nil, nil, fmt.Errorf("read %s: truncated: header dims %s promise more than 2^64 data bytes, got %d", name, formatDims(hdr), got)
	case size > maxIDXBytes && trailing > 0:
		return nil, nil, fmt.Errorf("read %s: header dims %s promise %d data bytes, more than the %d-byte limit for IDX data", name, formatDims(hdr), size, maxIDXBytes)
	case got < size:
		return nil, nil, fmt.Errorf("read %s: truncated: header dims %s promise %d data bytes, got %d; re-download the file", name, formatDims(hdr), size, got)
	case trailing > 0:
		more := ""
		if trailing > maxIDXBytes {
			more = " or more"
		}
		return nil, nil, fmt.Errorf("read %s: %d%s trailing bytes after the %d data bytes that header dims %s promise", name, trailing, more, size, formatDims(hdr))
	}
	// The size matches, so a dim above the limit can only sit beside a zero
	// dim; reject it rather than return a useless, overflow-prone shape.
	dims = make([]int, len(hdr))
	for i, d := range hdr {
		if d > maxIDXBytes {
			return nil, nil, fmt.Errorf("read %s: header dims %s: dim %d is larger than the %d limit", name, formatDims(hdr), d, maxIDXBytes)
		}
		dims[i] = int(d)
	}
	return dims, data, nil
}

// parseHeader checks the IDX header at the start of head and returns its
// dimensions and the data size they promise (overflow: more than 2^64).
func parseHeader(head []byte, name string) (dims []uint64, size uint64, overflow bool, err error) {
	if len(head) < 4 {
		return nil, 0, false, fmt.Errorf("read %s: truncated: %d bytes is too short for the 4-byte IDX magic; is this an IDX file?", name, len(head))
	}
	if head[0] != 0 || head[1] != 0 || head[3] < 1 || head[3] > 4 {
		return nil, 0, false, fmt.Errorf("read %s: bad magic % x: want 00 00 08 0N with 1 <= N <= 4 dims; is this an IDX file?", name, head[:4])
	}
	if head[2] != typeUnsignedByte {
		return nil, 0, false, fmt.Errorf("read %s: unsupported data type 0x%02x: only unsigned byte (0x08) is accepted", name, head[2])
	}
	nd := int(head[3])
	hdr := 4 + 4*nd
	if len(head) < hdr {
		return nil, 0, false, fmt.Errorf("read %s: truncated header: %d dims need %d header bytes, got %d", name, nd, hdr, len(head))
	}
	// Work in uint64 with an overflow check: four 32-bit dims can multiply to
	// 2^128, and dims above 2^31 do not fit a 32-bit int.
	dims = make([]uint64, nd)
	size = 1
	for i := range dims {
		p := head[4+4*i:]
		d := uint64(p[0])<<24 | uint64(p[1])<<16 | uint64(p[2])<<8 | uint64(p[3])
		dims[i] = d
		hi, lo := bits.Mul64(size, d)
		if hi != 0 {
			overflow = true
		}
		size = lo
	}
	return dims, size, overflow, nil
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

// readHeader reads only the header of the IDX file path and returns its
// dimensions.
func readHeader(path string) ([]uint64, error) {
	f, _, err := OpenRegular(path, -1)
	if err != nil {
		return nil, fmt.Errorf("read IDX: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("read %s: corrupt gzip stream: %v; re-download the file", path, err)
		}
		src = zr
	}
	head, err := ReadAtMost(io.LimitReader(src, 4+4*4), 4+4*4)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(head) >= 4 && head[3] >= 1 && head[3] <= 4 {
		head = head[:min(len(head), 4+4*int(head[3]))]
	}
	dims, _, _, err := parseHeader(head, path)
	return dims, err
}
