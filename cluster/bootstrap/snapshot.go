package bootstrap

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Snapshot file format: the 8-byte magic "LGSNAP1\n", then records, each
// a 2-byte big-endian payload length, a 4-byte CRC-32 (IEEE) of the
// payload, and the payload: an op byte ('a' alive, 'f' failed, 'l'
// left), the id and the address (each a 1-byte length and bytes), and
// the time seen (8-byte big-endian Unix nanoseconds). Records are only
// appended; a torn or corrupt tail (a crash mid-write) ends the replay
// and is cut off when the file is opened again.
var snapMagic = []byte("LGSNAP1\n")

const (
	opAlive  byte = 'a'
	opFailed byte = 'f'
	opLeft   byte = 'l'
)

func encodeRecord(op byte, p Peer) []byte {
	id, addr := p.ID, p.Addr
	if len(id) > 255 {
		id = id[:255]
	}
	if len(addr) > 255 {
		addr = addr[:255]
	}
	payload := make([]byte, 0, 1+2+len(id)+len(addr)+8)
	payload = append(payload, op, byte(len(id)))
	payload = append(payload, id...)
	payload = append(payload, byte(len(addr)))
	payload = append(payload, addr...)
	payload = binary.BigEndian.AppendUint64(payload, uint64(p.Seen.UnixNano()))
	rec := binary.BigEndian.AppendUint16(nil, uint16(len(payload)))
	rec = binary.BigEndian.AppendUint32(rec, crc32.ChecksumIEEE(payload))
	return append(rec, payload...)
}

// DecodeSnapshot replays the records of a snapshot file's content and
// returns the peers they leave (sorted by id), the number of records, and
// the length of the valid prefix of b. A torn or corrupt record ends the
// replay (valid then excludes it); a wrong magic returns an error
// wrapping ErrSnapshot. It never panics.
func DecodeSnapshot(b []byte) (peers []Peer, records, valid int, err error) {
	if len(b) < len(snapMagic) || string(b[:len(snapMagic)]) != string(snapMagic) {
		return nil, 0, 0, fmt.Errorf("%w: not a snapshot file", ErrSnapshot)
	}
	m := map[string]Peer{}
	off := len(snapMagic)
	for {
		if len(b)-off < 6 {
			break
		}
		n := int(binary.BigEndian.Uint16(b[off:]))
		sum := binary.BigEndian.Uint32(b[off+2:])
		if len(b)-off-6 < n {
			break
		}
		payload := b[off+6 : off+6+n]
		if crc32.ChecksumIEEE(payload) != sum {
			break
		}
		op, p, ok := decodePayload(payload)
		if !ok {
			break
		}
		switch op {
		case opAlive, opFailed:
			p.Failed = op == opFailed
			m[p.ID] = p
		case opLeft:
			delete(m, p.ID)
		}
		off += 6 + n
		records++
	}
	for _, p := range m {
		peers = append(peers, p)
	}
	slices.SortFunc(peers, func(a, b Peer) int { return strings.Compare(a.ID, b.ID) })
	return peers, records, off, nil
}

func decodePayload(b []byte) (byte, Peer, bool) {
	if len(b) < 2 {
		return 0, Peer{}, false
	}
	op := b[0]
	if op != opAlive && op != opFailed && op != opLeft {
		return 0, Peer{}, false
	}
	b = b[1:]
	n := int(b[0])
	if len(b) < 1+n+1 {
		return 0, Peer{}, false
	}
	id := string(b[1 : 1+n])
	b = b[1+n:]
	n = int(b[0])
	if len(b) != 1+n+8 || id == "" {
		return 0, Peer{}, false
	}
	addr := string(b[1 : 1+n])
	seen := time.Unix(0, int64(binary.BigEndian.Uint64(b[1+n:])))
	return op, Peer{ID: id, Addr: addr, Seen: seen}, true
}

// Snapshot is an open peer snapshot file. It is not safe for concurrent
// use (the Bootstrapper serializes access).
type Snapshot struct {
	path    string
	f       *os.File
	w       *bufio.Writer
	records int
	dirty   bool
}

// OpenSnapshot opens (or creates) the snapshot at path, replays it, cuts
// off a torn tail, and returns it with the peers it holds. Errors wrap
// ErrSnapshot.
func OpenSnapshot(path string) (*Snapshot, []Peer, error) {
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	var peers []Peer
	records, valid := 0, 0
	if len(b) > 0 {
		peers, records, valid, err = DecodeSnapshot(b)
		if err != nil {
			return nil, nil, fmt.Errorf("%w (%s)", err, path)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	s := &Snapshot{path: path, f: f, records: records}
	if valid == 0 {
		err := f.Truncate(0)
		if err == nil {
			_, err = f.Write(snapMagic)
		}
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%w: %w", ErrSnapshot, err)
		}
		valid = len(snapMagic)
		s.dirty = true
	} else if valid < len(b) {
		if err := f.Truncate(int64(valid)); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%w: %w", ErrSnapshot, err)
		}
	}
	if _, err := f.Seek(int64(valid), io.SeekStart); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	s.w = bufio.NewWriter(f)
	return s, peers, nil
}

// Record appends what is known of p (op from its state: failed, left or
// alive). The record is buffered until Sync.
func (s *Snapshot) Record(p Peer, left bool) error {
	op := opAlive
	switch {
	case left:
		op = opLeft
	case p.Failed:
		op = opFailed
	}
	if _, err := s.w.Write(encodeRecord(op, p)); err != nil {
		return fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	s.records++
	s.dirty = true
	return nil
}

// Records returns the number of records in the file (and buffered).
func (s *Snapshot) Records() int { return s.records }

// Sync writes buffered records and fsyncs the file, if anything changed.
func (s *Snapshot) Sync() error {
	if !s.dirty {
		return nil
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	s.dirty = false
	return nil
}

// Compact rewrites the file to hold exactly peers: it writes a temporary
// file beside it, fsyncs it, renames it over the old one and fsyncs the
// directory, so a crash leaves either the old file or the new one.
func (s *Snapshot) Compact(peers []Peer) error {
	tmp := s.path + ".tmp"
	b := slices.Clone(snapMagic)
	for _, p := range peers {
		op := opAlive
		if p.Failed {
			op = opFailed
		}
		b = append(b, encodeRecord(op, p)...)
	}
	if err := writeSync(tmp, b); err != nil {
		return fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	if d, err := os.Open(filepath.Dir(s.path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	s.f.Close()
	s.f, s.w = f, bufio.NewWriter(f)
	s.records, s.dirty = len(peers), false
	return nil
}

func writeSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Close syncs and closes the file.
func (s *Snapshot) Close() error {
	err := s.Sync()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}
