// Go built with CGO_ENABLED=0: goroutines with channels, sync.WaitGroup,
// os/exec of another program, and time.Sleep. The first argument picks one.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"
)

func channels() {
	jobs := make(chan int)
	results := make(chan int)
	for w := 0; w < 8; w++ {
		go func() {
			for j := range jobs {
				results <- j * j
			}
		}()
	}
	go func() {
		for i := 1; i <= 1000; i++ {
			jobs <- i
		}
		close(jobs)
	}()
	sum := 0
	for i := 0; i < 1000; i++ {
		sum += <-results
	}
	fmt.Println("channels: sum of squares", sum)
}

func waitGroup() {
	var wg sync.WaitGroup
	var mu sync.Mutex
	count := 0
	for g := 0; g < 100; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				mu.Lock()
				count++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	fmt.Println("waitgroup: 100 goroutines counted", count)
}

func execOther() {
	out, err := exec.Command("/bin/busybox", "echo", "hello from a child").Output()
	fmt.Printf("exec: %q err=%v\n", out, err)
	err = exec.Command("/bin/busybox", "false").Run()
	fmt.Println("exec false:", err)
	cmd := exec.Command("/bin/busybox", "tr", "a-z", "A-Z")
	cmd.Stdin = nil
	stdin, _ := cmd.StdinPipe()
	go func() {
		fmt.Fprint(stdin, "piped through tr\n")
		stdin.Close()
	}()
	out, err = cmd.Output()
	fmt.Printf("exec with a stdin pipe: %q err=%v\n", out, err)
}

func sleep() {
	start := time.Now()
	time.Sleep(50 * time.Millisecond)
	fmt.Println("sleep: at least 50ms:", time.Since(start) >= 50*time.Millisecond)
	timer := time.NewTimer(20 * time.Millisecond)
	select {
	case <-timer.C:
		fmt.Println("sleep: timer fired")
	case <-time.After(10 * time.Second):
		fmt.Println("sleep: timer lost")
	}
	tick := time.NewTicker(5 * time.Millisecond)
	for i := 0; i < 3; i++ {
		<-tick.C
	}
	tick.Stop()
	fmt.Println("sleep: three ticks")
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: goprocs channels|waitgroup|exec|sleep")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "channels":
		channels()
	case "waitgroup":
		waitGroup()
	case "exec":
		execOther()
	case "sleep":
		sleep()
	default:
		os.Exit(2)
	}
}
