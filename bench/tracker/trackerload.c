/* trackerload: a tracker load generator that is not the bottleneck.
 *
 *   trackerload hashes H              print the H info hashes it announces, 40 hex a line (opentracker's whitelist)
 *   trackerload udp  HOST PORT SECONDS H PEERS WINDOW
 *   trackerload http HOST PORT SECONDS H PEERS CONNECTIONS
 *
 * Peer p (0 <= p < PEERS) belongs to torrent p % H and announces from port 1024 + p / H, so every torrent holds
 * PEERS / H distinct peers (opentracker keys peers by address and port, we by peer id: both see PEERS peers).
 *
 * udp: WINDOW requests in flight on one socket, sent with sendmmsg and read with recvmmsg. Every announce is
 * preceded by its own connect (BEP 15: <protocol_id 8><action 4 = 0><transaction_id 4>, then the 98-byte announce
 * with the connection id the tracker gave). A request unanswered for 500 ms is counted lost and its slot starts
 * over with a fresh connect. Prints announces answered per second, and connects, errors and losses.
 *
 * http: CONNECTIONS keep-alive connections, each with one GET /announce in flight (epoll). A server that closes the
 * connection after an answer (HTTP/1.0 style) is dialled again; the reconnects are printed.
 *
 * Environment knobs (bench/tracker/bigswarm.sh uses them to fill one big torrent beside the honest ones):
 *   HASH_BASE=K   peer p belongs to torrent K + p % H (default 0)
 *   PEER_BASE=B   peer p's id is that of peer B + p (default 0), so runs from two addresses are different peers
 *   BIND=ADDR     send from this local IPv4 address (127.0.0.2, ...: one address holds at most 64,511 ports);
 *                 http: a comma-separated list spreads the connections, connection i from the (i mod n)-th address
 *                 (a tracker's per-address budget of connections is not what an honest load should measure)
 *   FILL=1        udp: announce peers 0..PEERS-1 once each, in order, then stop
 *   RATE=N        udp: at most N announces a second (a steady background load)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64          /* datagrams per sendmmsg/recvmmsg call */
#define MAX_WINDOW 4096
#define LOST_NS 500000000LL /* a request unanswered for 500 ms is lost */

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/* Info hash k: 20 bytes from a fixed generator, so `hashes` and the runs agree. */
static void info_hash(uint32_t k, uint8_t out[20]) {
  uint64_t s = 0x5452414B4C4F4144ULL + k, a = splitmix(&s), b = splitmix(&s), c = splitmix(&s);
  memcpy(out, &a, 8); memcpy(out + 8, &b, 8); memcpy(out + 16, &c, 4);
}

static void peer_id(uint32_t p, uint8_t out[20]) {
  memcpy(out, "-TL0001-", 8);
  snprintf((char *)out + 8, 13, "%012u", p);
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void put32(uint8_t *p, uint32_t v) { v = htonl(v); memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)(v >> 32)); put32(p + 4, (uint32_t)v); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return ntohl(v); }

static uint32_t H, PEERS, HASH_BASE, PEER_BASE, FILL, RATE, next_fill;
static uint64_t rng = 1;

static uint32_t pick_peer(void) {
  if (FILL) return next_fill < PEERS ? next_fill++ : PEERS - 1;
  return (uint32_t)(splitmix(&rng) % PEERS);
}

static uint32_t env_u32(const char *name) { const char *v = getenv(name); return v ? (uint32_t)strtoul(v, NULL, 10) : 0; }

/* Binds fd to the (i mod n)-th address of BIND's comma-separated list, if any. */
static void bind_source(int fd, uint32_t i) {
  const char *list = getenv("BIND");
  if (!list || !*list) return;
  uint32_t n = 1;
  for (const char *c = list; *c; c++) n += *c == ',';
  const char *from = list;
  for (uint32_t k = i % n; k > 0; k--) from = strchr(from, ',') + 1;
  char address[INET_ADDRSTRLEN] = {0};
  size_t length = strcspn(from, ",");
  if (length >= sizeof address) { fprintf(stderr, "BIND: not an IPv4 address: %s\n", from); exit(64); }
  memcpy(address, from, length);
  struct sockaddr_in me = {.sin_family = AF_INET};
  if (inet_pton(AF_INET, address, &me.sin_addr) != 1 || bind(fd, (struct sockaddr *)&me, sizeof me) < 0) { perror("BIND"); exit(64); }
}

/* ---------------------------------------------------------------- UDP (BEP 15) */

struct slot { int64_t sent; uint32_t peer; int phase; /* 0 connect sent, 1 announce sent */ uint8_t conn[8]; };

static int run_udp(struct sockaddr_in *to, double seconds, int window) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int big = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  bind_source(fd, 0);
  /* recvmmsg's timeout is checked only after a datagram arrives: with nothing in flight (RATE) it would block for
   * ever, so the receive itself times out after 10 ms. */
  struct timeval tick = {0, 10000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick);
  if (connect(fd, (struct sockaddr *)to, sizeof *to) < 0) { perror("connect"); return 1; }
  static struct slot slots[MAX_WINDOW];
  static uint8_t out[BATCH][98], in[BATCH][2048];
  struct mmsghdr omsg[BATCH], imsg[BATCH];
  struct iovec oiov[BATCH], iiov[BATCH];
  memset(omsg, 0, sizeof omsg); memset(imsg, 0, sizeof imsg);
  for (int i = 0; i < BATCH; i++) {
    oiov[i].iov_base = out[i]; omsg[i].msg_hdr.msg_iov = &oiov[i]; omsg[i].msg_hdr.msg_iovlen = 1;
    iiov[i].iov_base = in[i]; iiov[i].iov_len = sizeof in[i]; imsg[i].msg_hdr.msg_iov = &iiov[i]; imsg[i].msg_hdr.msg_iovlen = 1;
  }
  int pending[MAX_WINDOW], npending = 0; /* slots whose next request is due */
  uint32_t epoch = 1; /* in the transaction id: <epoch 20 bits><slot 12 bits>, so a late answer to a lost request is ignored */
  uint32_t epochs[MAX_WINDOW];
  for (int i = 0; i < window; i++) { slots[i].phase = 0; slots[i].peer = pick_peer(); epochs[i] = epoch; pending[npending++] = i; }
  long announces = 0, connects = 0, errors = 0, lost = 0, bad = 0, started = 0;
  int64_t start = now_ns(), end = start + (int64_t)(seconds * 1e9), last_scan = start;
  while (1) {
    int64_t t = now_ns();
    if (t >= end || (FILL && announces >= (long)PEERS)) break;
    /* Send every due request, BATCH at a time (with RATE, only as many connects as the rate allows so far). */
    while (npending > 0 && (RATE == 0 || started < (long)((t - start) / 1e9 * RATE) + 1)) {
      int n = npending < BATCH ? npending : BATCH;
      if (RATE) n = 1;
      for (int j = 0; j < n; j++) {
        int i = pending[npending - 1 - j];
        struct slot *s = &slots[i];
        uint8_t *p = out[j];
        uint32_t tid = (epochs[i] << 12) | (uint32_t)i;
        if (s->phase == 0) {
          put64(p, 0x41727101980ULL); put32(p + 8, 0); put32(p + 12, tid); oiov[j].iov_len = 16;
          started++;
        } else {
          memcpy(p, s->conn, 8); put32(p + 8, 1); put32(p + 12, tid);
          info_hash(HASH_BASE + s->peer % H, p + 16); peer_id(PEER_BASE + s->peer, p + 36);
          put64(p + 56, 0); put64(p + 64, (s->peer & 1) ? 0 : 1 << 20); put64(p + 72, 0);
          put32(p + 80, 0); put32(p + 84, 0); put32(p + 88, s->peer); put32(p + 92, (uint32_t)-1);
          uint16_t port = htons((uint16_t)(1024 + s->peer / H)); memcpy(p + 96, &port, 2);
          oiov[j].iov_len = 98;
        }
        s->sent = t;
      }
      int sent = sendmmsg(fd, omsg, n, 0);
      if (sent <= 0) { if (errno == EAGAIN || errno == ENOBUFS || errno == ECONNREFUSED) break; perror("sendmmsg"); return 1; }
      npending -= sent;
    }
    struct timespec timeout = {0, 10000000};
    int got = recvmmsg(fd, imsg, BATCH, MSG_WAITFORONE, &timeout);
    if (got < 0) {
      if (errno == EAGAIN || errno == EINTR || errno == ECONNREFUSED) got = 0;
      else { perror("recvmmsg"); return 1; }
    }
    for (int j = 0; j < got; j++) {
      uint8_t *p = in[j];
      unsigned len = imsg[j].msg_len;
      if (len < 8) { bad++; continue; }
      uint32_t action = get32(p), tid = get32(p + 4);
      int i = tid & 0xFFF;
      if (i >= window || (tid >> 12) != epochs[i]) { bad++; continue; }
      struct slot *s = &slots[i];
      if (action == 0 && s->phase == 0 && len >= 16) {
        connects++; memcpy(s->conn, p + 8, 8); s->phase = 1;
      } else if (action == 1 && s->phase == 1 && len >= 20) {
        announces++; s->phase = 0; s->peer = pick_peer();
      } else {
        if (action == 3) errors++; else bad++;
        if (errors == 1 && action == 3) fprintf(stderr, "first error: %.*s\n", (int)(len - 8), (char *)p + 8);
        s->phase = 0; s->peer = pick_peer();
      }
      epochs[i] = (epochs[i] + 1) & 0xFFFFF;
      pending[npending++] = i;
    }
    if (t - last_scan > 100000000LL) { /* every 100 ms: start over the slots whose request was lost */
      last_scan = t;
      for (int i = 0; i < window; i++) {
        if (t - slots[i].sent < LOST_NS) continue;
        int queued = 0;
        for (int k = 0; k < npending; k++) if (pending[k] == i) { queued = 1; break; }
        if (queued) continue;
        lost++; slots[i].phase = 0; epochs[i] = (epochs[i] + 1) & 0xFFFFF; pending[npending++] = i;
      }
    }
  }
  double elapsed = (now_ns() - start) / 1e9;
  printf("udp announces/s %.0f connects/s %.0f errors %ld lost %ld unexpected %ld seconds %.1f window %d\n",
         announces / elapsed, connects / elapsed, errors, lost, bad, elapsed, window);
  close(fd);
  return announces > 0 ? 0 : 2;
}

/* ---------------------------------------------------------------- HTTP (BEP 3, keep-alive) */

struct conn { int fd; size_t have; size_t sent; size_t reqlen; char req[512]; char buf[8192]; };

static void url_bytes(char *dst, const uint8_t *b, int n) {
  static const char hex[] = "0123456789ABCDEF";
  for (int i = 0; i < n; i++) { *dst++ = '%'; *dst++ = hex[b[i] >> 4]; *dst++ = hex[b[i] & 15]; }
  *dst = 0;
}

static void make_request(struct conn *c, const char *host) {
  uint32_t p = pick_peer();
  uint8_t ih[20], pid[20];
  char ihs[61], pids[61];
  info_hash(HASH_BASE + p % H, ih); peer_id(PEER_BASE + p, pid);
  url_bytes(ihs, ih, 20); url_bytes(pids, pid, 20);
  c->reqlen = (size_t)snprintf(c->req, sizeof c->req,
    "GET /announce?info_hash=%s&peer_id=%s&port=%u&uploaded=0&downloaded=0&left=%u&compact=1 HTTP/1.1\r\n"
    "Host: %s\r\nConnection: keep-alive\r\n\r\n", ihs, pids, 1024 + p / H, (p & 1) ? 0 : 1 << 20, host);
  c->sent = 0; c->have = 0;
}

static int dial(struct sockaddr_in *to, uint32_t i) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  bind_source(fd, i);
  /* recvmmsg's timeout is checked only after a datagram arrives: with nothing in flight (RATE) it would block for
   * ever, so the receive itself times out after 10 ms. */
  struct timeval tick = {0, 10000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick);
  if (connect(fd, (struct sockaddr *)to, sizeof *to) < 0 && errno != EINPROGRESS) { close(fd); return -1; }
  return fd;
}

/* Length of a whole response at the start of buf (headers + Content-Length body), or 0 when incomplete. */
static size_t response_length(const char *buf, size_t have, int *ok) {
  const char *end = memmem(buf, have, "\r\n\r\n", 4);
  if (!end) return 0;
  size_t head = (size_t)(end - buf) + 4, body = 0;
  *ok = have >= 12 && memcmp(buf + 9, "200", 3) == 0;
  for (const char *l = buf; l < end; ) {
    const char *nl = memmem(l, (size_t)(end - l) + 2, "\r\n", 2);
    if (!nl) break;
    if ((size_t)(nl - l) > 15 && strncasecmp(l, "Content-Length:", 15) == 0) body = strtoul(l + 15, NULL, 10);
    l = nl + 2;
  }
  return have >= head + body ? head + body : 0;
}

static int run_http(struct sockaddr_in *to, const char *host, double seconds, int nconn) {
  int ep = epoll_create1(0);
  struct conn *conns = calloc((size_t)nconn, sizeof *conns);
  for (int i = 0; i < nconn; i++) {
    conns[i].fd = dial(to, (uint32_t)i);
    make_request(&conns[i], host);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
  }
  long answers = 0, failures = 0, reconnects = 0;
  int64_t start = now_ns(), end = start + (int64_t)(seconds * 1e9);
  struct epoll_event evs[256];
  while (now_ns() < end) {
    int n = epoll_wait(ep, evs, 256, 10);
    for (int k = 0; k < n; k++) {
      struct conn *c = &conns[evs[k].data.u32];
      int closed = (evs[k].events & (EPOLLERR | EPOLLHUP)) != 0;
      if (!closed && c->sent < c->reqlen) {
        ssize_t w = send(c->fd, c->req + c->sent, c->reqlen - c->sent, MSG_NOSIGNAL);
        if (w > 0) c->sent += (size_t)w; else if (errno != EAGAIN) closed = 1;
        if (c->sent == c->reqlen) {
          struct epoll_event ev = {.events = EPOLLIN, .data.u32 = evs[k].data.u32};
          epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        }
      }
      if (!closed && (evs[k].events & EPOLLIN)) {
        ssize_t r = recv(c->fd, c->buf + c->have, sizeof c->buf - c->have, 0);
        if (r > 0) {
          c->have += (size_t)r;
          int ok = 0;
          size_t len = response_length(c->buf, c->have, &ok);
          if (len > 0) {
            if (ok) answers++; else failures++;
            make_request(c, host);
            ssize_t w = send(c->fd, c->req, c->reqlen, MSG_NOSIGNAL);
            if (w > 0) c->sent = (size_t)w;
            struct epoll_event ev = {.events = c->sent < c->reqlen ? EPOLLIN | EPOLLOUT : EPOLLIN, .data.u32 = evs[k].data.u32};
            epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
          }
        } else if (r == 0 || errno != EAGAIN) {
          closed = 1;
          /* A server that closes after an answer without Content-Length: the answer ends at the close. */
          int ok = 0;
          if (c->have > 0 && memmem(c->buf, c->have, "\r\n\r\n", 4) && response_length(c->buf, c->have, &ok) == 0) {
            if (c->have >= 12 && memcmp(c->buf + 9, "200", 3) == 0) answers++; else failures++;
          }
        }
      }
      if (closed) {
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        reconnects++;
        c->fd = dial(to, evs[k].data.u32);
        make_request(c, host);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = evs[k].data.u32};
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
      }
    }
  }
  double elapsed = (now_ns() - start) / 1e9;
  printf("http announces/s %.0f failures %ld reconnects %ld seconds %.1f connections %d\n",
         answers / elapsed, failures, reconnects, elapsed, nconn);
  for (int i = 0; i < nconn; i++) close(conns[i].fd);
  free(conns);
  return answers > 0 ? 0 : 2;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "hashes") == 0) {
    uint32_t n = (uint32_t)atoi(argv[2]);
    for (uint32_t k = 0; k < n; k++) {
      uint8_t h[20];
      info_hash(k, h);
      for (int i = 0; i < 20; i++) printf("%02x", h[i]);
      printf("\n");
    }
    return 0;
  }
  if (argc != 8 || (strcmp(argv[1], "udp") != 0 && strcmp(argv[1], "http") != 0)) {
    fprintf(stderr, "usage: trackerload hashes H | udp HOST PORT SECONDS H PEERS WINDOW | http HOST PORT SECONDS H PEERS CONNECTIONS\n");
    return 64;
  }
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3]))};
  if (inet_pton(AF_INET, argv[2], &to.sin_addr) != 1) { fprintf(stderr, "HOST must be an IPv4 address, got %s\n", argv[2]); return 64; }
  double seconds = atof(argv[4]);
  H = (uint32_t)atoi(argv[5]); PEERS = (uint32_t)atoi(argv[6]);
  HASH_BASE = env_u32("HASH_BASE"); PEER_BASE = env_u32("PEER_BASE"); FILL = env_u32("FILL"); RATE = env_u32("RATE");
  int width = atoi(argv[7]);
  if (H == 0 || PEERS < H || PEERS / H > 60000 || seconds <= 0 || width < 1 || width > MAX_WINDOW) {
    fprintf(stderr, "need 0 < H <= PEERS, PEERS/H <= 60000, SECONDS > 0, 1 <= WINDOW <= %d\n", MAX_WINDOW);
    return 64;
  }
  char host[64];
  snprintf(host, sizeof host, "%s:%s", argv[2], argv[3]);
  return strcmp(argv[1], "udp") == 0 ? run_udp(&to, seconds, width) : run_http(&to, host, seconds, width);
}
