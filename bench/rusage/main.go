// Command rusage runs a command once and prints its wall time in
// milliseconds, its peak resident set in kilobytes and its CPU time (user
// plus system) in milliseconds ("123.4 56789 80.0"), so
// that bench/scale.sh measures every command the same way, whether or not
// /usr/bin/time is installed. The command's own output is discarded; its
// exit status is not judged (a drift found exits 2).
//
// The command's standard streams are /dev/null.
//
//	go run ./bench/rusage -- secretdeck drift --json
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: rusage -- COMMAND [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(args[0], args[1:]...)
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		fmt.Fprintln(os.Stderr, "rusage:", err)
		os.Exit(1)
	}
	rss := int64(0)
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = int64(ru.Maxrss) // kilobytes on Linux
	}
	fmt.Printf("%.1f %d %.1f\n", float64(wall.Microseconds())/1000, rss, float64(cpu.Microseconds())/1000)
}
