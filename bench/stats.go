package main

import (
	"math"
	"slices"
)

// percentile returns the p-th percentile of v (nearest rank); 0 for none.
// v is sorted in place.
func percentile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	rank := int(math.Ceil(p/100*float64(len(v)))) - 1
	return v[max(0, min(rank, len(v)-1))]
}
