package security

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"

	"github.com/libgossip/libgossip/gossip/wire/frame"
)

// Stream records are frames (gossip/wire/frame) of at most maxRecord bytes:
// a random nonce and the sealed chunk. The additional data binds the cluster label, the direction
// and the record's sequence number, so records cannot be moved between
// clusters, directions or positions.
const (
	maxChunk  = 16 << 10
	nonceSize = 12
	tagSize   = 16
	maxRecord = nonceSize + maxChunk + tagSize
)

var errRecord = errors.New("net/security: bad stream record")

type direction byte

const (
	fromDialer   direction = 0
	fromAcceptor direction = 1
)

// secureConn encrypts a stream with AES-GCM records.
type secureConn struct {
	net.Conn
	ad []byte // stream additional data prefix: label

	rmu     sync.Mutex
	raead   cipher.AEAD
	rdir    direction
	rseq    uint64
	pending []byte // decrypted bytes not yet read
	rbuf    []byte

	wmu   sync.Mutex
	waead cipher.AEAD
	wdir  direction
	wseq  uint64
}

func newSecureConn(c net.Conn, label string, aead cipher.AEAD, dialer bool) *secureConn {
	s := &secureConn{Conn: c, ad: []byte(streamAD + label), raead: aead, waead: aead}
	s.wdir, s.rdir = fromDialer, fromAcceptor
	if !dialer {
		s.wdir, s.rdir = fromAcceptor, fromDialer
	}
	return s
}

func (s *secureConn) additional(dir direction, seq uint64) []byte {
	ad := make([]byte, 0, len(s.ad)+9)
	ad = append(ad, s.ad...)
	ad = append(ad, byte(dir))
	return binary.BigEndian.AppendUint64(ad, seq)
}

// Write seals p into one or more records.
func (s *secureConn) Write(p []byte) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var out []byte
	for rest := p; len(rest) > 0 || len(out) == 0; {
		chunk := rest[:min(len(rest), maxChunk)]
		rest = rest[len(chunk):]
		out = s.appendRecord(out, chunk)
		if len(p) == 0 {
			break
		}
	}
	if _, err := s.Conn.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (s *secureConn) appendRecord(out, chunk []byte) []byte {
	n := nonceSize + len(chunk) + tagSize
	out = binary.BigEndian.AppendUint32(out, uint32(n))
	start := len(out)
	out = append(out, make([]byte, nonceSize)...)
	_, _ = rand.Read(out[start:])
	nonce := out[start : start+nonceSize]
	out = s.waead.Seal(out, nonce, chunk, s.additional(s.wdir, s.wseq))
	s.wseq++
	return out
}

// readRecord reads and opens the next record. With keys set and no cipher
// chosen yet, it tries every key and keeps the one that opens it.
func (s *secureConn) readRecord(keys *Keyring) ([]byte, error) {
	n, err := frame.ReadHeader(s.Conn, maxRecord)
	if errors.Is(err, frame.ErrTooLarge) || err == nil && n < nonceSize+tagSize {
		return nil, errRecord
	}
	if err != nil {
		return nil, err
	}
	if cap(s.rbuf) < int(n) {
		s.rbuf = make([]byte, n)
	}
	buf := s.rbuf[:n]
	if _, err := io.ReadFull(s.Conn, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	ad := s.additional(s.rdir, s.rseq)
	nonce, ct := buf[:nonceSize], buf[nonceSize:]
	var pt []byte
	if keys != nil {
		var aead cipher.AEAD
		var ok bool
		if pt, aead, ok = keys.open(nil, nonce, ct, ad); !ok {
			return nil, errRecord
		}
		s.raead, s.waead = aead, aead
	} else {
		var err error
		if pt, err = s.raead.Open(nil, nonce, ct, ad); err != nil {
			return nil, errRecord
		}
	}
	s.rseq++
	return pt, nil
}

// Read returns decrypted bytes.
func (s *secureConn) Read(p []byte) (int, error) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	for len(s.pending) == 0 {
		pt, err := s.readRecord(nil)
		if err != nil {
			return 0, err
		}
		s.pending = pt
	}
	n := copy(p, s.pending)
	s.pending = s.pending[n:]
	return n, nil
}
