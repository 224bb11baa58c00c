package transport

import (
	"errors"
	"net"
	"net/netip"
	"testing"
)

// TestAdvertiseAddr: the advertise rule, and defect 9: a wildcard bind
// advertises an address of the bind's family even when the system serves
// "0.0.0.0" with a dual-stack IPv6 socket (bound reports "[::]").
func TestAdvertiseAddr(t *testing.T) {
	dual := netip.MustParseAddrPort("[::]:1234")
	for _, tc := range []struct {
		bind      string
		bound     netip.AddrPort
		advertise string
		want      string // exact, or "v4"/"v6" for a family check
		how       string
	}{
		{"0.0.0.0:0", dual, "", "v4", "interface (IPv4)"},
		{":0", dual, "", "v4", "interface (IPv4)"},
		{"0.0.0.0:0", netip.MustParseAddrPort("0.0.0.0:1234"), "", "v4", "interface (IPv4)"},
		{"[::]:0", dual, "", "v6", "interface (IPv6)"},
		{"127.0.0.1:0", netip.MustParseAddrPort("127.0.0.1:1234"), "", "127.0.0.1:1234", "bind"},
		{"[::1]:0", netip.MustParseAddrPort("[::1]:1234"), "", "[::1]:1234", "bind"},
		{"0.0.0.0:0", dual, "10.1.2.3", "10.1.2.3:1234", "advertise"},
		{"0.0.0.0:0", dual, "10.1.2.3:99", "10.1.2.3:99", "advertise"},
		{"0.0.0.0:0", dual, "10.1.2.3:0", "10.1.2.3:1234", "advertise"},
		{"0.0.0.0:0", dual, "fd00::1", "[fd00::1]:1234", "advertise"},
		{"0.0.0.0:0", dual, "node.example:7000", "node.example:7000", "advertise"},
	} {
		got, how, err := AdvertiseAddr(tc.bind, tc.bound, tc.advertise)
		if err != nil {
			t.Errorf("AdvertiseAddr(%q, %v, %q): %v", tc.bind, tc.bound, tc.advertise, err)
			continue
		}
		if how != tc.how {
			t.Errorf("AdvertiseAddr(%q, %v, %q) chose by %q, want %q", tc.bind, tc.bound, tc.advertise, how, tc.how)
		}
		switch tc.want {
		case "v4", "v6":
			ap, err := netip.ParseAddrPort(got)
			if err != nil || ap.Addr().Is4() != (tc.want == "v4") || ap.Port() != 1234 {
				t.Errorf("AdvertiseAddr(%q, %v, %q) = %q, want an %s address with port 1234", tc.bind, tc.bound, tc.advertise, got, tc.want)
			}
		default:
			if got != tc.want {
				t.Errorf("AdvertiseAddr(%q, %v, %q) = %q, want %q", tc.bind, tc.bound, tc.advertise, got, tc.want)
			}
		}
	}
	if _, _, err := AdvertiseAddr("0.0.0.0:0", dual, "10.1.2.3:http"); !errors.Is(err, ErrAddress) {
		t.Errorf("bad advertise port: %v", err)
	}
}

func TestPickAddr(t *testing.T) {
	ipnet := func(s string) net.Addr {
		p := netip.MustParsePrefix(s)
		return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
	}
	addrs := []net.Addr{ipnet("127.0.0.1/8"), ipnet("::1/128"), ipnet("fe80::1/64"), ipnet("fd00::2/64"), ipnet("192.0.2.2/24")}
	if got := pickAddr(addrs, false); got != netip.MustParseAddr("192.0.2.2") {
		t.Errorf("IPv4 pick %v", got)
	}
	if got := pickAddr(addrs, true); got != netip.MustParseAddr("fd00::2") {
		t.Errorf("IPv6 pick %v", got)
	}
	if got := pickAddr(addrs[:3], false); got != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("IPv4 fallback %v", got)
	}
	if got := pickAddr(nil, true); got != netip.IPv6Loopback() {
		t.Errorf("IPv6 fallback %v", got)
	}
}

func TestCheckStateAndCloseAll(t *testing.T) {
	if CheckState(false, true, true) != ErrClosed || CheckState(true, false, false) != ErrStarted ||
		CheckState(false, false, true) != ErrNotStarted || CheckState(true, false, true) != nil {
		t.Fatal("CheckState")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if err := CloseAll(ln, nil); err != nil {
		t.Fatalf("CloseAll of a closed listener: %v", err)
	}
	if ap := AddrPortOf(&net.UDPAddr{IP: net.ParseIP("::ffff:10.0.0.1"), Port: 5}); ap.String() != "10.0.0.1:5" {
		t.Fatalf("AddrPortOf %v", ap)
	}
}
