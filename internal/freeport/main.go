// Command freeport prints N loopback ports that are free for both TCP and UDP,
// one per line, for scripts/test --fresh: a new rig must never meet the ports
// of another one (a developer's rig, a CI run beside it).
//
// Ports come from 20000–32767: inside what Docker accepts for a swarm's data
// path port (1024–49151) and below Linux's ephemeral range, so the kernel does
// not hand them to some client between this check and the rig's start.
package main

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
)

const lowest, highest = 20000, 32767

func main() {
	n := 1
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v < 1 || v > 100 {
			fmt.Fprintln(os.Stderr, "usage: freeport [N]  (1 ≤ N ≤ 100)")
			os.Exit(2)
		}
		n = v
	}
	seen := map[int]bool{}
	for tries := 0; len(seen) < n; tries++ {
		if tries > 10000 {
			fmt.Fprintln(os.Stderr, "freeport: no free loopback port found in", lowest, "–", highest)
			os.Exit(1)
		}
		p := lowest + rand.IntN(highest-lowest+1)
		if seen[p] || !free(p) {
			continue
		}
		seen[p] = true
		fmt.Println(p)
	}
}

// free reports whether port p can be bound now: TCP on loopback (S3, swarm
// control), and UDP on every address, as the swarm's VXLAN data path binds.
func free(p int) bool {
	port := strconv.Itoa(p)
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		return false
	}
	defer l.Close()
	u, err := net.ListenPacket("udp", ":"+port)
	if err != nil {
		return false
	}
	u.Close()
	return true
}
