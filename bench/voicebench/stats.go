package voicebench

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Num is a measurement that may be missing (NaN): null in JSON, "—" in
// tables.
type Num float64

// MarshalJSON writes null for a missing value.
func (n Num) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(n)) || math.IsInf(float64(n), 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, float64(n), 'f', 2, 64), nil
}

// Fmt formats n with the given decimals, or "—".
func (n Num) Fmt(decimals int) string {
	if math.IsNaN(float64(n)) || math.IsInf(float64(n), 0) {
		return "—"
	}
	return strconv.FormatFloat(float64(n), 'f', decimals, 64)
}

// String formats n in whole units.
func (n Num) String() string { return n.Fmt(0) }

var _ fmt.Stringer = Num(0)

// Dist is a distribution of milliseconds, kept whole for plots and JSON.
type Dist struct {
	N   int       `json:"n"`
	P50 Num       `json:"p50"`
	P95 Num       `json:"p95"`
	P99 Num       `json:"p99"`
	Max Num       `json:"max"`
	Ms  []float64 `json:"ms"`
}

// NewDist sorts a copy of ms (NaNs dropped) and reads its percentiles.
func NewDist(ms []float64) Dist {
	v := make([]float64, 0, len(ms))
	for _, x := range ms {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	slices.Sort(v)
	nan := Num(math.NaN())
	d := Dist{N: len(v), Ms: v, P50: nan, P95: nan, P99: nan, Max: nan}
	if len(v) > 0 {
		d.P50, d.P95, d.P99, d.Max = Num(quantile(v, .50)), Num(quantile(v, .95)), Num(quantile(v, .99)), Num(v[len(v)-1])
	}
	return d
}

// quantile is the nearest-rank quantile of sorted v: with few samples a
// high percentile is simply the largest, never an interpolation.
func quantile(v []float64, q float64) float64 {
	i := int(math.Ceil(q*float64(len(v)))) - 1
	return v[max(0, min(i, len(v)-1))]
}
