// Rust std::thread: spawned threads joined with their results, Arc<Mutex>,
// a Barrier, an mpsc channel from eight producers, and scoped threads.
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::thread;

fn main() {
    let handles: Vec<_> = (0..8u64)
        .map(|t| thread::spawn(move || (t * 100_000..(t + 1) * 100_000).map(|i| i % 7).sum::<u64>()))
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    println!("spawn x8 sum: {}", total);

    let counter = Arc::new(Mutex::new(0u64));
    let barrier = Arc::new(Barrier::new(8));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (counter, barrier) = (Arc::clone(&counter), Arc::clone(&barrier));
            thread::spawn(move || {
                for _ in 0..10_000 {
                    *counter.lock().unwrap() += 1;
                }
                barrier.wait().is_leader()
            })
        })
        .collect();
    let leaders = workers.into_iter().map(|h| h.join().unwrap()).filter(|&l| l).count();
    println!("mutex counter: {}, barrier leaders: {}", *counter.lock().unwrap(), leaders);

    let (tx, rx) = mpsc::channel();
    for t in 0..8u64 {
        let tx = tx.clone();
        thread::spawn(move || {
            for i in 0..100 {
                tx.send(t * 1000 + i).unwrap();
            }
        });
    }
    drop(tx);
    let received: Vec<u64> = rx.iter().collect();
    println!("channel: {} messages, sum {}", received.len(), received.iter().sum::<u64>());

    let mut data = vec![1u64; 1000];
    thread::scope(|s| {
        for chunk in data.chunks_mut(125) {
            s.spawn(move || chunk.iter_mut().for_each(|x| *x *= 3));
        }
    });
    println!("scoped threads: sum {}", data.iter().sum::<u64>());
    let named = thread::Builder::new().name("worker-x".into()).spawn(|| thread::current().name().unwrap().to_string());
    println!("named thread: {}", named.unwrap().join().unwrap());
}
