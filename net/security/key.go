package security

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
)

// Errors returned by keys and keyrings. Test them with errors.Is.
var (
	// ErrKeySize reports a key that is not 16, 24 or 32 bytes long.
	ErrKeySize = errors.New("net/security: key must be 16, 24 or 32 bytes")
	// ErrNoKey reports an operation on a key the keyring does not hold.
	ErrNoKey = errors.New("net/security: key not installed")
	// ErrPrimaryKey reports an attempt to remove the primary key.
	ErrPrimaryKey = errors.New("net/security: cannot remove the primary key")
)

// Key is an AES key of 16, 24 or 32 bytes (AES-128, -192 or -256) used with
// GCM. A Key is immutable and safe to copy. It never prints its bytes:
// String, GoString and LogValue show only its size and a fingerprint; Encode
// is the one way to reveal it.
type Key struct {
	b string // the key bytes; a string so the value is immutable
}

// NewKey returns a Key holding a copy of b.
func NewKey(b []byte) (Key, error) {
	switch len(b) {
	case 16, 24, 32:
		return Key{b: string(b)}, nil
	}
	return Key{}, fmt.Errorf("%w: got %d", ErrKeySize, len(b))
}

// GenerateKey returns a random key of size bytes (16, 24 or 32) from
// crypto/rand.
func GenerateKey(size int) (Key, error) {
	switch size {
	case 16, 24, 32:
	default:
		return Key{}, fmt.Errorf("%w: got %d", ErrKeySize, size)
	}
	b := make([]byte, size)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return NewKey(b)
}

// ParseKey decodes a key written by Encode (standard base64).
func ParseKey(s string) (Key, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return Key{}, fmt.Errorf("net/security: parse key: %w", err)
	}
	return NewKey(b)
}

// Encode returns the key in standard base64. Treat the result as a secret.
func (k Key) Encode() string { return base64.StdEncoding.EncodeToString([]byte(k.b)) }

// Size returns the key's length in bytes (0 for the zero Key).
func (k Key) Size() int { return len(k.b) }

// Equal reports whether k and o hold the same bytes.
func (k Key) Equal(o Key) bool { return k.b == o.b }

// Fingerprint returns the first 8 hex digits of the SHA-256 of the key, safe
// to log and show to operators comparing keyrings.
func (k Key) Fingerprint() string {
	h := sha256.Sum256([]byte(k.b))
	return hex.EncodeToString(h[:4])
}

// String returns a redacted description, "aes-256:8a1c2d3e".
func (k Key) String() string {
	if k.b == "" {
		return "aes:none"
	}
	return fmt.Sprintf("aes-%d:%s", 8*len(k.b), k.Fingerprint())
}

// GoString is String, so %#v does not reveal the key either.
func (k Key) GoString() string { return k.String() }

// LogValue implements slog.LogValuer with the redacted description.
func (k Key) LogValue() slog.Value { return slog.StringValue(k.String()) }

// Format implements fmt.Formatter so that no verb (%x, %v, %+v, %#v)
// prints the key's bytes.
func (k Key) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }

func (k Key) aead() cipher.AEAD {
	block, err := aes.NewCipher([]byte(k.b))
	if err != nil {
		panic("net/security: invalid key reached the keyring: " + err.Error()) // sizes are checked by NewKey
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		panic("net/security: " + err.Error())
	}
	return g
}

type entry struct {
	key  Key
	aead cipher.AEAD
}

// Keyring holds the keys a node accepts and the primary key it encrypts
// with. It is safe for concurrent use; changes take effect for the next
// packet or stream.
//
// Rotation across a live cluster: Install the new key on every member, then
// UseKey it on every member, then Remove the old one everywhere. Each step
// must reach all members before the next starts; at no point does a member
// receive traffic it cannot decrypt.
type Keyring struct {
	mu   sync.RWMutex
	keys []entry // primary first
}

// NewKeyring returns a keyring whose primary key is primary, also holding
// more.
func NewKeyring(primary Key, more ...Key) (*Keyring, error) {
	r := &Keyring{}
	for _, k := range append([]Key{primary}, more...) {
		if err := r.Install(k); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *Keyring) index(k Key) int {
	return slices.IndexFunc(r.keys, func(e entry) bool { return e.key.Equal(k) })
}

// Install adds k to the keyring, accepted for decryption but not used for
// encryption. Installing a held key does nothing. The first key installed
// in an empty keyring becomes primary.
func (r *Keyring) Install(k Key) error {
	if _, err := NewKey([]byte(k.b)); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.index(k) < 0 {
		r.keys = append(r.keys, entry{key: k, aead: k.aead()})
	}
	return nil
}

// UseKey makes the installed key k primary. It returns ErrNoKey if k is not
// installed.
func (r *Keyring) UseKey(k Key) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := r.index(k)
	if i < 0 {
		return fmt.Errorf("%w: %s", ErrNoKey, k)
	}
	e := r.keys[i]
	copy(r.keys[1:i+1], r.keys[:i])
	r.keys[0] = e
	return nil
}

// Remove removes k. It returns ErrPrimaryKey for the primary key and ErrNoKey
// for a key not installed.
func (r *Keyring) Remove(k Key) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch i := r.index(k); {
	case i < 0:
		return fmt.Errorf("%w: %s", ErrNoKey, k)
	case i == 0:
		return fmt.Errorf("%w: %s", ErrPrimaryKey, k)
	default:
		r.keys = slices.Delete(r.keys, i, i+1)
	}
	return nil
}

// Keys returns the installed keys, primary first, in a new slice the
// caller owns.
func (r *Keyring) Keys() []Key {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Key, len(r.keys))
	for i, e := range r.keys {
		out[i] = e.key
	}
	return out
}

// Primary returns the primary key (the zero Key for an empty keyring).
func (r *Keyring) Primary() Key {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if len(r.keys) == 0 {
		return Key{}
	}
	return r.keys[0].key
}

// LogValue implements slog.LogValuer with the redacted keys.
func (r *Keyring) LogValue() slog.Value {
	ks := r.Keys()
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = k.String()
	}
	return slog.AnyValue(s)
}

func (r *Keyring) primary() cipher.AEAD {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if len(r.keys) == 0 {
		return nil
	}
	return r.keys[0].aead
}

// open tries every key, primary first, and returns the plaintext appended
// to dst and the key that opened it.
func (r *Keyring) open(dst, nonce, ct, ad []byte) ([]byte, cipher.AEAD, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, e := range r.keys {
		if pt, err := e.aead.Open(dst, nonce, ct, ad); err == nil {
			return pt, e.aead, true
		}
	}
	return nil, nil, false
}
