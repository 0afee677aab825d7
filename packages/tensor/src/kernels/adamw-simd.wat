(module
  ;; The wasm backend's own memory: the kernel reads and writes its tensors where they lie.
  ;; (The threaded build's heap is shared: its binary declares this import `(memory 0 65536 shared)`.)
  (import "env" "memory" (memory 0))
  ;; newParam, newM, newV from param, grad, m, v; n floats each, pointers in bytes.
  (func (export "adamw")
    (param $n i32) (param $g i32) (param $p i32) (param $m i32) (param $v i32)
    (param $po i32) (param $mo i32) (param $vo i32)
    (param $decay f32) (param $b1 f32) (param $k1 f32) (param $b2 f32) (param $k2 f32)
    (param $c2 f32) (param $eps f32) (param $ss f32)
    (local $i i32) (local $vector_end i32) (local $end i32)
    (local $gi v128) (local $mi v128) (local $vi v128)
    (local $D v128) (local $B1 v128) (local $K1 v128) (local $B2 v128) (local $K2 v128)
    (local $C2 v128) (local $E v128) (local $S v128)
    (local $gs f32) (local $ms f32) (local $vs f32)
    (local.set $D (f32x4.splat (local.get $decay)))
    (local.set $B1 (f32x4.splat (local.get $b1)))
    (local.set $K1 (f32x4.splat (local.get $k1)))
    (local.set $B2 (f32x4.splat (local.get $b2)))
    (local.set $K2 (f32x4.splat (local.get $k2)))
    (local.set $C2 (f32x4.splat (local.get $c2)))
    (local.set $E (f32x4.splat (local.get $eps)))
    (local.set $S (f32x4.splat (local.get $ss)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $vector_end (i32.and (local.get $end) (i32.const -16)))
    ;; Four floats at a time.
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $vector_end)))
        (local.set $gi (v128.load (i32.add (local.get $g) (local.get $i))))
        (local.set $mi
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $i))) (local.get $B1))
            (f32x4.mul (local.get $gi) (local.get $K1))))
        (local.set $vi
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $i))) (local.get $B2))
            (f32x4.mul (f32x4.mul (local.get $gi) (local.get $gi)) (local.get $K2))))
        (v128.store (i32.add (local.get $po) (local.get $i))
          (f32x4.sub
            (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $i))) (local.get $D))
            (f32x4.mul
              (f32x4.div (local.get $mi)
                (f32x4.add (f32x4.div (f32x4.sqrt (local.get $vi)) (local.get $C2)) (local.get $E)))
              (local.get $S))))
        (v128.store (i32.add (local.get $mo) (local.get $i)) (local.get $mi))
        (v128.store (i32.add (local.get $vo) (local.get $i)) (local.get $vi))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    ;; The last one to three, the same steps one float at a time.
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $gs (f32.load (i32.add (local.get $g) (local.get $i))))
        (local.set $ms
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $m) (local.get $i))) (local.get $b1))
            (f32.mul (local.get $gs) (local.get $k1))))
        (local.set $vs
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $v) (local.get $i))) (local.get $b2))
            (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $k2))))
        (f32.store (i32.add (local.get $po) (local.get $i))
          (f32.sub
            (f32.mul (f32.load (i32.add (local.get $p) (local.get $i))) (local.get $decay))
            (f32.mul
              (f32.div (local.get $ms)
                (f32.add (f32.div (f32.sqrt (local.get $vs)) (local.get $c2)) (local.get $eps)))
              (local.get $ss))))
        (f32.store (i32.add (local.get $mo) (local.get $i)) (local.get $ms))
        (f32.store (i32.add (local.get $vo) (local.get $i)) (local.get $vs))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $tail))))
)
