// The Go runtime's netpoller under tsv: epoll_create1, epoll_ctl and
// epoll_pwait, woken through a non-blocking pipe, behind goroutines that
// sleep, os/exec with a pipe for the child's output (vfork, execve, wait4),
// and reads on an os.Pipe that wait in the poller with and without a
// deadline. Every line is the same on every run.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"
)

func main() {
	ch := make(chan int, 10)
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			time.Sleep(time.Millisecond * time.Duration(n))
			ch <- n * n
		}(i)
	}
	wg.Wait()
	close(ch)
	sum := 0
	for v := range ch {
		sum += v
	}
	fmt.Println("sum", sum)

	out, err := exec.Command("/bin/busybox", "echo", "from-child").Output()
	fmt.Printf("exec %q %v\n", out, err)

	r, w, err := os.Pipe()
	if err != nil {
		panic(err)
	}
	buf := make([]byte, 8)
	r.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err = r.Read(buf)
	fmt.Println("deadline exceeded", errors.Is(err, os.ErrDeadlineExceeded))
	r.SetReadDeadline(time.Time{})
	go func() {
		time.Sleep(5 * time.Millisecond)
		w.Write([]byte("ping"))
	}()
	n, err := r.Read(buf)
	fmt.Println("read", string(buf[:n]), err)
	w.Close()
	n, err = r.Read(buf)
	fmt.Println("at the end", n, err)
}
