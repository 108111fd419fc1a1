"""backtrader's side of the backtest benchmark (Benchmarks/backtest.sh).

    python backtrader_bench.py BARS.csv [--repeat N] [--runonce]

BARS.csv: `symbol,time,open,high,low,close,volume` (time in epoch seconds, rows sorted by time
then symbol; a symbol may miss a bar in some slot). The bars are read into memory (load_s), one
backtrader feed per symbol (a DataBase subclass over the in-memory rows: no pandas), and an
event-driven intraday strategy runs over all of them: per symbol SMA(12)/SMA(60) crossovers with
an RSI(14) filter, long on an upward cross and short on a downward one, a market entry sized by
cash with a bracket (stop-loss and take-profit, OCO), $0.005 a share with a $1 minimum per order,
and everything flat in the last 5 minutes. `cerebro.run(runonce=False, preload=True,
stdstats=False)` — next() on every bar, the mode comparable to an event-driven backtester — is
timed alone, best of --repeat (default 3); it includes backtrader's preload of the feeds from the
rows in memory (also timed alone as preload_s). --runonce adds one run with runonce=True
(indicators computed vectorized, next() still per bar) as runonce_s.

Prints one JSON line: bars, symbols, load_s, run_s, bars_per_s, trades (closed), orders
(submitted), fills, ... and backtrader's version.
"""

import argparse
import csv
import datetime as dt
import json
import platform
import sys
import time

import backtrader as bt

START_CASH = 100_000.0
STOP = 0.005  # the bracket's stop-loss, 0.5% from the entry bar's close
TARGET = 0.010  # its take-profit, 1.0%
NO_ENTRY_S = 15 * 60  # no new entries in the last 15 minutes of the data
FLAT_S = 5 * 60  # everything closed in the last 5 minutes


class MemoryBars(bt.feeds.DataBase):
    """A feed over rows already in memory: (date number, open, high, low, close, volume)."""

    params = (("rows", ()),)

    def start(self):
        super().start()
        self._rows = iter(self.p.rows)

    def _load(self):
        try:
            t, o, h, l, c, v = next(self._rows)
        except StopIteration:
            return False
        lines = self.lines
        lines.datetime[0] = t
        lines.open[0] = o
        lines.high[0] = h
        lines.low[0] = l
        lines.close[0] = c
        lines.volume[0] = v
        lines.openinterest[0] = 0.0
        return True


class PerShare(bt.CommInfoBase):
    """$0.005 a share, at least $1 an order (IBKR's fixed tier)."""

    params = (
        ("stocklike", True),
        ("commtype", bt.CommInfoBase.COMM_FIXED),
        ("per_share", 0.005),
        ("minimum", 1.0),
    )

    def _getcommission(self, size, price, pseudoexec):
        return max(abs(size) * self.p.per_share, self.p.minimum)


class CrossRSI(bt.Strategy):
    params = (("fast", 12), ("slow", 60), ("rsi", 14), ("no_entry", 0.0), ("flat", 0.0))

    def __init__(self):
        self.books = []
        for d in self.datas:
            fast = bt.ind.SMA(d.close, period=self.p.fast)
            slow = bt.ind.SMA(d.close, period=self.p.slow)
            rsi = bt.ind.RSI(d.close, period=self.p.rsi, safediv=True)
            cross = bt.ind.CrossOver(fast, slow)
            self.books.append([d, cross, rsi, 0, None, False])  # data, cross, rsi, bars seen, bracket, flattened
        self.orders = self.fills = self.trades = 0
        self.won = 0
        self.pnl = 0.0

    def prenext(self):
        # Until every symbol has its 60 bars; a symbol that has them trades already.
        self.next()

    def next(self):
        broker = self.broker
        for book in self.books:
            d = book[0]
            n = len(d)
            if n == book[3]:
                continue  # no new bar for this symbol in this step
            book[3] = n
            if n <= self.p.slow:
                continue
            now = d.datetime[0]
            bracket = book[4]
            busy = bracket is not None and (bracket[0].alive() or bracket[1].alive() or bracket[2].alive())
            if now >= self.p.flat:
                if not book[5]:
                    book[5] = True
                    if busy:
                        self.cancel(bracket[0] if bracket[0].alive() else bracket[1])
                    if self.getposition(d).size:
                        self.close(data=d)
                        self.orders += 1
                continue
            if busy or now >= self.p.no_entry:
                continue
            c = book[1][0]
            if c == 0.0:
                continue
            price = d.close[0]
            size = int(min(broker.getcash(), broker.getvalue() / len(self.books)) * 0.95 / price)
            if size <= 0:
                continue
            if c > 0 and book[2][0] < 70.0:
                book[4] = self.buy_bracket(data=d, size=size, exectype=bt.Order.Market,
                                           stopprice=price * (1 - STOP), limitprice=price * (1 + TARGET))
                self.orders += 3
            elif c < 0 and book[2][0] > 30.0:
                book[4] = self.sell_bracket(data=d, size=size, exectype=bt.Order.Market,
                                            stopprice=price * (1 + STOP), limitprice=price * (1 - TARGET))
                self.orders += 3

    def notify_order(self, order):
        if order.status == order.Completed:
            self.fills += 1

    def notify_trade(self, trade):
        if trade.isclosed:
            self.trades += 1
            self.pnl += trade.pnlcomm
            if trade.pnlcomm > 0:
                self.won += 1


def load(path):
    """The CSV into per-symbol row lists, times as backtrader's date numbers (naive UTC)."""
    rows = {}
    numbers = {}
    first = last = None
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header[:7] != ["symbol", "time", "open", "high", "low", "close", "volume"]:
            sys.exit("%s: unexpected header %s" % (path, ",".join(header)))
        for symbol, t, o, h, l, c, v in reader:
            t = int(t)
            number = numbers.get(t)
            if number is None:
                number = numbers[t] = bt.date2num(dt.datetime.fromtimestamp(t, dt.timezone.utc).replace(tzinfo=None))
                first = t if first is None else min(first, t)
                last = t if last is None else max(last, t)
            rows.setdefault(symbol, []).append((number, float(o), float(h), float(l), float(c), float(v)))
    return rows, first, last


def cerebro_for(rows, last):
    cerebro = bt.Cerebro()
    for symbol, bars in rows.items():
        cerebro.adddata(MemoryBars(rows=bars, timeframe=bt.TimeFrame.Seconds, compression=5), name=symbol)
    cerebro.broker.setcash(START_CASH)
    cerebro.broker.addcommissioninfo(PerShare())
    stamp = lambda t: bt.date2num(dt.datetime.fromtimestamp(t, dt.timezone.utc).replace(tzinfo=None))
    cerebro.addstrategy(CrossRSI, no_entry=stamp(last - NO_ENTRY_S), flat=stamp(last - FLAT_S))
    return cerebro


def timed_run(rows, last, runonce):
    cerebro = cerebro_for(rows, last)
    started = time.perf_counter()
    strategy = cerebro.run(runonce=runonce, preload=True, stdstats=False)[0]
    return time.perf_counter() - started, strategy, cerebro.broker.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bars")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runonce", action="store_true", help="also one run with runonce=True")
    args = parser.parse_args()

    started = time.perf_counter()
    rows, first, last = load(args.bars)
    load_s = time.perf_counter() - started
    bars = sum(len(r) for r in rows.values())
    if not bars:
        sys.exit("%s: no bars" % args.bars)

    # backtrader's own preload of the feeds (part of each cerebro.run() below), alone.
    cerebro = cerebro_for(rows, last)
    started = time.perf_counter()
    for feed in cerebro.datas:
        feed._start()
        feed.preload()
    preload_s = time.perf_counter() - started
    del cerebro

    best = None
    for _ in range(max(1, args.repeat)):
        seconds, strategy, value = timed_run(rows, last, runonce=False)
        if best is None or seconds < best[0]:
            best = (seconds, strategy, value)
    run_s, s, value = best
    result = {
        "bars": bars,
        "symbols": len(rows),
        "load_s": round(load_s, 3),
        "preload_s": round(preload_s, 3),
        "run_s": round(run_s, 3),
        "bars_per_s": round(bars / run_s),
        "trades": s.trades,
        "won": s.won,
        "orders": s.orders,
        "fills": s.fills,
        "pnl": round(value - START_CASH, 2),
        "first": first,
        "last": last,
        "backtrader": bt.__version__,
        "python": platform.python_version(),
    }
    if args.runonce:
        seconds, s1, _ = timed_run(rows, last, runonce=True)
        result["runonce_s"] = round(seconds, 3)
        result["runonce_bars_per_s"] = round(bars / seconds)
        result["runonce_trades"] = s1.trades
    print(json.dumps(result))


if __name__ == "__main__":
    main()
