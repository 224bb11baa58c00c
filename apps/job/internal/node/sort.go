package node

import "slices"

func sortJobs(js []JobInfo) {
	slices.SortFunc(js, func(a, b JobInfo) int {
		if a.Spec.Name < b.Spec.Name {
			return -1
		}
		if a.Spec.Name > b.Spec.Name {
			return 1
		}
		return 0
	})
}
