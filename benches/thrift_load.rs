//! A get_table load on the Hive Metastore front from many connections, on
//! lakecat's own Thrift codec: shared by the Hive Metastore and security benchmarks.

#![allow(dead_code)]

use lakecat::hms::thrift::{self, Reader, TStruct};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

pub trait Conn: Read + Write + Send {}
impl<T: Read + Write + Send> Conn for T {}

/// A plain TCP connection with Nagle off.
pub fn tcp(addr: &str) -> TcpStream {
    let c = TcpStream::connect(addr).unwrap();
    c.set_nodelay(true).unwrap();
    c
}

/// get_table of `bench.events` from `conns` connections made by `connect` for
/// `secs`: calls/s and p99 in ms. With `framed`, messages travel in 4-byte
/// length frames (SASL); otherwise replies are parsed as they arrive.
pub fn load(
    conns: usize,
    secs: f64,
    framed: bool,
    connect: &(dyn Fn() -> Box<dyn Conn> + Sync),
) -> (f64, f64) {
    let args = TStruct::new().with_str(1, "bench").with_str(2, "events");
    let call = thrift::write_message("get_table", thrift::CALL, 1, &args);
    let msg = if framed {
        let mut m = (call.len() as u32).to_be_bytes().to_vec();
        m.extend_from_slice(&call);
        m
    } else {
        call
    };
    let end = Instant::now() + Duration::from_secs_f64(secs);
    let lat: Vec<Duration> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..conns)
            .map(|_| {
                let msg = msg.clone();
                s.spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .build()
                        .unwrap();
                    let mut c = connect();
                    let mut lat = Vec::new();
                    let mut buf = vec![0u8; 1 << 16];
                    while Instant::now() < end {
                        let t = Instant::now();
                        c.write_all(&msg).unwrap();
                        c.flush().unwrap();
                        if framed {
                            let mut len = [0u8; 4];
                            c.read_exact(&mut len).unwrap();
                            let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
                            c.read_exact(&mut body).unwrap();
                        } else {
                            let mut got = Vec::new();
                            loop {
                                let n = c.read(&mut buf).unwrap();
                                assert!(n > 0);
                                got.extend_from_slice(&buf[..n]);
                                let done = rt.block_on(async {
                                    let mut r: &[u8] = &got[1..];
                                    Reader::new(&mut r, got.len()).message(got[0]).await.is_ok()
                                });
                                if done {
                                    break;
                                }
                            }
                        }
                        lat.push(t.elapsed());
                    }
                    lat
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let mut lat = lat;
    lat.sort();
    let p99 = lat[(lat.len() * 99 / 100).min(lat.len() - 1)].as_secs_f64() * 1000.0;
    (lat.len() as f64 / secs, p99)
}
