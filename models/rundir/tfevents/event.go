package tfevents

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of the protocol buffers written, from TensorFlow's
// event.proto, summary.proto and histogram.proto.
const (
	eventWallTime    = 1 // double
	eventStep        = 2 // int64
	eventFileVersion = 3 // string
	eventSummary     = 5 // Summary

	summaryValue = 1 // repeated Summary.Value

	valueTag         = 1 // string
	valueSimpleValue = 2 // float
	valueHisto       = 5 // HistogramProto

	histoMin         = 1 // double
	histoMax         = 2 // double
	histoNum         = 3 // double
	histoSum         = 4 // double
	histoSumSquares  = 5 // double
	histoBucketLimit = 6 // repeated double, packed
	histoBucket      = 7 // repeated double, packed
)

// FileVersion is the file_version of an event file's first event.
const FileVersion = "brain.Event:2"

// Scalar is one tagged value of a step.
type Scalar struct {
	Tag   string
	Value float64
}

// Histogram is a HistogramProto: bucket i counts Bucket[i] values up to
// BucketLimit[i] (from BucketLimit[i-1], or Min for the first).
type Histogram struct {
	Min, Max, Num, Sum, SumSquares float64
	BucketLimit, Bucket            []float64
}

// fileVersionEvent encodes the event that opens a file.
func fileVersionEvent(wall float64) []byte {
	b := protowire.AppendTag(nil, eventWallTime, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, math.Float64bits(wall))
	b = protowire.AppendTag(b, eventFileVersion, protowire.BytesType)
	return protowire.AppendString(b, FileVersion)
}

// summaryEvent encodes an Event at step holding a Summary of the encoded
// values.
func summaryEvent(wall float64, step int64, values [][]byte) []byte {
	var summary []byte
	for _, v := range values {
		summary = protowire.AppendTag(summary, summaryValue, protowire.BytesType)
		summary = protowire.AppendBytes(summary, v)
	}
	b := protowire.AppendTag(nil, eventWallTime, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, math.Float64bits(wall))
	b = protowire.AppendTag(b, eventStep, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(step))
	b = protowire.AppendTag(b, eventSummary, protowire.BytesType)
	return protowire.AppendBytes(b, summary)
}

// scalarValue encodes a Summary.Value with a simple_value. TensorBoard's
// scalars are float32.
func scalarValue(s Scalar) []byte {
	b := protowire.AppendTag(nil, valueTag, protowire.BytesType)
	b = protowire.AppendString(b, s.Tag)
	b = protowire.AppendTag(b, valueSimpleValue, protowire.Fixed32Type)
	return protowire.AppendFixed32(b, math.Float32bits(float32(s.Value)))
}

// histogramValue encodes a Summary.Value with a HistogramProto.
func histogramValue(tag string, h Histogram) []byte {
	var p []byte
	for _, f := range []struct {
		num protowire.Number
		v   float64
	}{{histoMin, h.Min}, {histoMax, h.Max}, {histoNum, h.Num}, {histoSum, h.Sum}, {histoSumSquares, h.SumSquares}} {
		p = protowire.AppendTag(p, f.num, protowire.Fixed64Type)
		p = protowire.AppendFixed64(p, math.Float64bits(f.v))
	}
	for _, f := range []struct {
		num protowire.Number
		vs  []float64
	}{{histoBucketLimit, h.BucketLimit}, {histoBucket, h.Bucket}} {
		var packed []byte
		for _, v := range f.vs {
			packed = protowire.AppendFixed64(packed, math.Float64bits(v))
		}
		p = protowire.AppendTag(p, f.num, protowire.BytesType)
		p = protowire.AppendBytes(p, packed)
	}
	b := protowire.AppendTag(nil, valueTag, protowire.BytesType)
	b = protowire.AppendString(b, tag)
	b = protowire.AppendTag(b, valueHisto, protowire.BytesType)
	return protowire.AppendBytes(b, p)
}
