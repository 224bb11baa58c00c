package hashring

import "math"

// Jump returns the bucket in [0, buckets) for a 64-bit key with jump
// consistent hashing (Lamping and Veach, "A Fast, Minimal Memory, Consistent
// Hash Algorithm", 2014). Growing from n to n+1 buckets moves exactly the
// keys that land in the new bucket, about 1/(n+1) of them; buckets can only
// be added or removed at the end. Like the paper's reference code it
// supports up to math.MaxInt32 buckets. It runs in O(log buckets), uses no memory
// and is safe for concurrent use. It returns ErrInvalidBuckets if
// buckets < 1 or buckets > math.MaxInt32. Use HashKey to turn a string key into a uint64.
func Jump(key uint64, buckets int) (int, error) {
	if buckets < 1 || buckets > math.MaxInt32 {
		return 0, ErrInvalidBuckets
	}
	var b, j int64 = -1, 0
	for j < int64(buckets) {
		b = j
		key = key*2862933555777941757 + 1
		j = int64(float64(b+1) * (float64(int64(1)<<31) / float64((key>>33)+1)))
	}
	return int(b), nil
}

// JumpString is Jump(HashKey(key), buckets).
func JumpString(key string, buckets int) (int, error) {
	return Jump(HashKey(key), buckets)
}
