(module
  ;; The wasm backend's own memory: weights, inputs and outputs are read and written where they lie.
  ;; (The threaded build's heap is shared: its binary declares this import `(memory 0 65536 shared)`.)
  (import "env" "memory" (memory 0))

  ;; y[r] = Σ_j even(w[r, j]) · xe[j] + odd(w[r, j]) · xo[j] for r < rows: a (rows, 2·perRow) weight
  ;; stored as 16-bit halves, two to a 32-bit word (the even column in the low half), times one input
  ;; row split beforehand into its even (xe) and odd (xo) columns. xe and xo are padded with zeros to
  ;; perRow + 3 floats, so the last words of a row go through the vector loop one at a time.
  ;; Pointers in bytes. One function per format; both widen four words to eight floats at a time.

  ;; bfloat16: a float32's top half.
  (func (export "dot_bf16")
    (param $rows i32) (param $perRow i32) (param $xe i32) (param $xo i32) (param $w i32) (param $y i32)
    (local $r i32) (local $j i32) (local $vectorEnd i32) (local $at i32) (local $word v128) (local $acc v128)
    (local.set $vectorEnd (i32.and (local.get $perRow) (i32.const -4)))
    (block $rowsDone
      (loop $nextRow
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $acc (f32x4.splat (f32.const 0)))
        (local.set $j (i32.const 0))
        (block $vectorsDone
          (loop $nextVector
            (br_if $vectorsDone (i32.ge_u (local.get $j) (local.get $vectorEnd)))
            (local.set $at (i32.shl (local.get $j) (i32.const 2)))
            (local.set $word (v128.load (i32.add (local.get $w) (local.get $at))))
            (local.set $acc
              (f32x4.add (local.get $acc)
                (f32x4.add
                  (f32x4.mul (i32x4.shl (local.get $word) (i32.const 16))
                    (v128.load (i32.add (local.get $xe) (local.get $at))))
                  (f32x4.mul (v128.and (local.get $word) (v128.const i32x4 -65536 -65536 -65536 -65536))
                    (v128.load (i32.add (local.get $xo) (local.get $at)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $nextVector)))
        ;; The last one to three words, one at a time in lane 0 (the other lanes read zero weights).
        (block $tailDone
          (loop $nextWord
            (br_if $tailDone (i32.ge_u (local.get $j) (local.get $perRow)))
            (local.set $at (i32.shl (local.get $j) (i32.const 2)))
            (local.set $word (v128.load32_zero (i32.add (local.get $w) (local.get $at))))
            (local.set $acc
              (f32x4.add (local.get $acc)
                (f32x4.add
                  (f32x4.mul (i32x4.shl (local.get $word) (i32.const 16))
                    (v128.load (i32.add (local.get $xe) (local.get $at))))
                  (f32x4.mul (v128.and (local.get $word) (v128.const i32x4 -65536 -65536 -65536 -65536))
                    (v128.load (i32.add (local.get $xo) (local.get $at)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $nextWord)))
        (f32.store (i32.add (local.get $y) (i32.shl (local.get $r) (i32.const 2)))
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
            (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
        (local.set $w (i32.add (local.get $w) (i32.shl (local.get $perRow) (i32.const 2))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $nextRow))))

  ;; binary16: each half put in the top of its lane, then widened exactly and written out in place (a
  ;; call per vector costs more than the widening): an arithmetic shift by 3 moves the exponent and
  ;; fraction into float32's places, the mask keeps them and the sign, and scaling by 2^112 rebiases the
  ;; exponent, for normal and subnormal halves alike (a subnormal float32 times 2^112 is exact). Only
  ;; finite halves are read right (±∞ and NaN would come out as large finite values): the packers never
  ;; store others, and the wasm kernel sends an f16 weight built with them to the widened product (a
  ;; check in this loop would cost it 10 to 25 % more instructions).
  (func (export "dot_f16")
    (param $rows i32) (param $perRow i32) (param $xe i32) (param $xo i32) (param $w i32) (param $y i32)
    (local $r i32) (local $j i32) (local $vectorEnd i32) (local $at i32) (local $word v128) (local $acc v128)
    (local.set $vectorEnd (i32.and (local.get $perRow) (i32.const -4)))
    (block $rowsDone
      (loop $nextRow
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $acc (f32x4.splat (f32.const 0)))
        (local.set $j (i32.const 0))
        (block $vectorsDone
          (loop $nextVector
            (br_if $vectorsDone (i32.ge_u (local.get $j) (local.get $vectorEnd)))
            (local.set $at (i32.shl (local.get $j) (i32.const 2)))
            (local.set $word (v128.load (i32.add (local.get $w) (local.get $at))))
            (local.set $acc
              (f32x4.add (local.get $acc)
                (f32x4.add
                  (f32x4.mul (f32x4.mul
                      (v128.and (i32x4.shr_s (i32x4.shl (local.get $word) (i32.const 16)) (i32.const 3))
                        (v128.const i32x4 0x8fffe000 0x8fffe000 0x8fffe000 0x8fffe000))
                      (v128.const f32x4 0x1p112 0x1p112 0x1p112 0x1p112))
                    (v128.load (i32.add (local.get $xe) (local.get $at))))
                  (f32x4.mul (f32x4.mul
                      (v128.and (i32x4.shr_s (local.get $word) (i32.const 3))
                        (v128.const i32x4 0x8fffe000 0x8fffe000 0x8fffe000 0x8fffe000))
                      (v128.const f32x4 0x1p112 0x1p112 0x1p112 0x1p112))
                    (v128.load (i32.add (local.get $xo) (local.get $at)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $nextVector)))
        (block $tailDone
          (loop $nextWord
            (br_if $tailDone (i32.ge_u (local.get $j) (local.get $perRow)))
            (local.set $at (i32.shl (local.get $j) (i32.const 2)))
            (local.set $word (v128.load32_zero (i32.add (local.get $w) (local.get $at))))
            (local.set $acc
              (f32x4.add (local.get $acc)
                (f32x4.add
                  (f32x4.mul (f32x4.mul
                      (v128.and (i32x4.shr_s (i32x4.shl (local.get $word) (i32.const 16)) (i32.const 3))
                        (v128.const i32x4 0x8fffe000 0x8fffe000 0x8fffe000 0x8fffe000))
                      (v128.const f32x4 0x1p112 0x1p112 0x1p112 0x1p112))
                    (v128.load (i32.add (local.get $xe) (local.get $at))))
                  (f32x4.mul (f32x4.mul
                      (v128.and (i32x4.shr_s (local.get $word) (i32.const 3))
                        (v128.const i32x4 0x8fffe000 0x8fffe000 0x8fffe000 0x8fffe000))
                      (v128.const f32x4 0x1p112 0x1p112 0x1p112 0x1p112))
                    (v128.load (i32.add (local.get $xo) (local.get $at)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $nextWord)))
        (f32.store (i32.add (local.get $y) (i32.shl (local.get $r) (i32.const 2)))
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
            (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
        (local.set $w (i32.add (local.get $w) (i32.shl (local.get $perRow) (i32.const 2))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $nextRow)))))
