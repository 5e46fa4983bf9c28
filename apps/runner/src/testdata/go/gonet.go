// Go built with CGO_ENABLED=0, on the sandbox's network and pipes: a
// net/http server and client in one program (keep-alive, a POST body, a
// streamed response), and os/exec talking to a child over stdin and stdout
// pipes line by line. The first argument picks one.
package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
)

func httpServerAndClient() {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello, %s", r.URL.Query().Get("name"))
	})
	mux.HandleFunc("/upper", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Write([]byte(strings.ToUpper(string(body))))
	})
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 100; i++ {
			fmt.Fprintf(w, "chunk %03d %s\n", i, strings.Repeat("x", 1000))
			w.(http.Flusher).Flush()
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("listen:", err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	base := "http://" + ln.Addr().String()
	client := &http.Client{}
	for i := 0; i < 3; i++ {
		resp, err := client.Get(fmt.Sprintf("%s/hello?name=gopher%d", base, i))
		if err != nil {
			fmt.Println("get:", err)
			os.Exit(1)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.Status, string(body))
	}
	resp, err := client.Post(base+"/upper", "text/plain", strings.NewReader("posted body"))
	if err != nil {
		fmt.Println("post:", err)
		os.Exit(1)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Status, string(body))
	resp, err = client.Get(base + "/stream")
	if err != nil {
		fmt.Println("stream:", err)
		os.Exit(1)
	}
	lines := 0
	scanner := bufio.NewScanner(resp.Body)
	for scanner.Scan() {
		lines++
	}
	resp.Body.Close()
	fmt.Println("streamed lines:", lines, resp.TransferEncoding)
	srv.Close()
	fmt.Println("http: done")
}

func execPipes() {
	cmd := exec.Command("/bin/busybox", "awk", `{ print "child: " $0; fflush() }`)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		fmt.Println("start:", err)
		os.Exit(1)
	}
	reader := bufio.NewReader(stdout)
	for i := 0; i < 5; i++ {
		fmt.Fprintf(stdin, "line %d\n", i)
		reply, err := reader.ReadString('\n')
		if err != nil {
			fmt.Println("read:", err)
			os.Exit(1)
		}
		fmt.Print(reply)
	}
	stdin.Close()
	rest, _ := io.ReadAll(reader)
	fmt.Printf("after close: %q, wait: %v\n", rest, cmd.Wait())
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gonet http|pipes")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "http":
		httpServerAndClient()
	case "pipes":
		execPipes()
	default:
		os.Exit(2)
	}
}
