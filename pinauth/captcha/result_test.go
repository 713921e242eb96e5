package captcha

import (
	"slices"
	"testing"
)

// The results' names are metric labels: dashboards depend on them.
func TestResultsKeepTheirMetricLabels(t *testing.T) {
	var got []string
	for _, r := range Results {
		got = append(got, r.String())
	}
	if want := []string{"valid", "invalid", "missing", "error"}; !slices.Equal(got, want) {
		t.Fatalf("labels %v, want %v", got, want)
	}
}
