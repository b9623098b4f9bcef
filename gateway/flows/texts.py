"""Every SMS Satja sends, in Thai and English, in one catalogue per language.

Thai SMS travel as UCS-2: 70 characters fit one part. Each template is checked by a
test that fills it with the longest values it can meet (tests/test_sms_texts.py).
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping

from gateway.flows.names import NAME_LIMIT as NAME_LIMIT
from gateway.flows.names import short_name as short_name

TH = {
    # collectors
    "pay_ok": "รับสัจจะ {amount} บ. จาก {name} ({number}) แล้ว #{ref}",
    "ok_ok": "ยืนยันสัจจะ {amount} บ. ของ {name} ({number}) แล้ว #{ref}",
    "no_ok": "ไม่รับรายการ #{ref} {amount} บ. ของ {name} แล้ว",
    "undo_ok": "ยกเลิก #{ref} {amount} บ. ของ {name} แล้ว",
    "sum": "วันนี้รับ {count} ราย {amount} บ. เงินในมือ {cash} บ. รอยืนยัน {pending} ราย",
    "handed_over": "ส่งมอบเหรัญญิก {amount} บ. #{ref} เหลือในมือ {cash} บ.",
    "declared": '{name} ({number}) แจ้งส่ง {amount} บ. "ตกลง {ref}"/"ไม่ {ref}"',
    "pay_twice": 'ซ้ำกับ #{ref} {amount} บ. ไหม ถ้ารับอีกจริง ส่ง "รับ {number} {baht} ซ้ำ"',
    "rcv_twice": 'ซ้ำกับ #{ref} ไหม ถ้ารับมอบอีกจริง ส่ง "รับมอบ {number} {baht} ซ้ำ"',
    "withdrawn": "{name} ({number}) ยกเลิกแจ้งส่ง #{ref} {amount} บ. แล้ว ไม่ต้องตอบ",
    "reversed_collector": "กรรมการ {by} ยกเลิก #{ref} {amount} บ. ของ {name} แล้ว",
    # members
    "receipt": "กองทุนรับสัจจะ {amount} บ. ส่งถึง {date} #{ref} ขอบคุณค่ะ",
    "rejected": "สัจจะ {amount} บ. #{ref} ไม่ได้รับการยืนยัน สอบถามผู้เก็บเงินได้ค่ะ",
    "undone": "ผู้เก็บเงินยกเลิก #{ref} {amount} บ. ตอนนี้ส่งถึง {date} ค่ะ",
    "bal_self": "ยอดสัจจะ {total} บ. ส่งถึง {date} {state}ค่ะ",
    "disputed": "รับเรื่องทักท้วง #{ref} แล้ว กรรมการจะติดต่อกลับค่ะ",
    "withdraw_ok": "ยกเลิกที่แจ้งส่ง #{ref} {amount} บ. แล้วค่ะ",
    "reversed_member": 'กรรมการ {by} ยกเลิก {amount} บ. ถ้าทักท้วง ส่ง "ไม่ {ref}"ค่ะ',
    "pin_was_reset": "กองทุนล้างรหัส PIN ให้แล้ว กด {ussd} ตั้งรหัสใหม่ อย่าบอกใครค่ะ",
    "privacy": "ใช้ข้อมูลท่านเพื่อสวัสดิการเท่านั้น ขอดู/แก้ที่ {contact} ค่ะ",
    "privacy_committee": "ใช้ข้อมูลท่านเพื่อสวัสดิการเท่านั้น ขอดู/แก้ได้ที่กรรมการกองทุนค่ะ",
    "stopped": 'งดข้อความเตือนแล้ว ใบรับยังส่งตามปกติ ส่ง "เริ่ม" เพื่อรับอีกค่ะ',
    "started": "รับข้อความเตือนตามเดิมแล้วค่ะ",
    # treasurers and committees
    "rcv_ok": "รับมอบจาก {name} ({number}) {amount} บ. #{ref} เหลือ {cash} บ.",
    "bal_other": "{name} ({number}) {total} บ. ถึง {date} {state}",
    "pinreset_ok": "ล้าง PIN ของ {name} ({number}) แล้ว",
    "sum_group": "วันนี้รับ {count} ราย {taken} บ. ผู้เก็บถือ {cash} บ. ต้องดู {open}",
    "dispute_alert": "{name} ({number}) ทักท้วง #{ref} {amount} บ. ดูที่เรื่องต้องดู",
    # states
    "behind": "ค้างส่ง {days} วัน",
    "ahead": "ล่วงหน้า {days} วัน",
    "even": "ส่งครบถึงวันนี้",
    # help
    "help_member": 'ส่ง "ยอด" ดูยอดสัจจะ "สมุด" ดูยอดทั้งปี "ไม่ เลขรายการ" ทักท้วงหรือยกเลิก'
    'ที่แจ้งส่ง "หยุด" งดเตือน หรือกด {ussd} ค่ะ',
    "help_collector": '"รับ เลขที่ บาท" (รับซ้ำ: "รับ เลขที่ บาท ซ้ำ") "ตกลง เลขรายการ" '
    '"ไม่ เลขรายการ" "ยกเลิก เลขรายการ" "สรุป" "ยอด เลขที่"',
    "help_treasurer": '"รับมอบ เลขผู้เก็บ บาท" "สรุป" "PINRESET เลขที่" "ยอด เลขที่" '
    '"เบิก เลขที่ ประเภท" "อนุมัติ เลขรายการ" "ไม่อนุมัติ เลขรายการ เหตุผล"',
    # errors: what was wrong and what to send instead
    "err_unknown": 'ไม่เข้าใจข้อความ ส่ง "ช่วย" เพื่อดูวิธีใช้ค่ะ',
    # usage: the valid forms, with the command word as it was typed
    "err_usage_pay": "ส่งแบบนี้: {word} เลขที่ บาท เช่น {word} 12 30 หรือ {word} 12 30 ซ้ำ",
    "err_usage_rcv": "ส่งแบบนี้: {word} เลขที่ผู้เก็บ บาท เช่น {word} 3 500",
    "err_usage_ref": 'ส่งแบบนี้: "{word} เลขรายการ" เช่น "{word} 12340" ค่ะ',
    "err_usage_no": 'ส่งแบบนี้: "{word} เลขรายการ" เช่น "{word} 12340" ค่ะ',
    "err_usage_pinreset": "ส่งแบบนี้: {word} เลขที่สมาชิก เช่น {word} 12",
    "err_usage_bal": "ส่งแบบนี้: {word} หรือ {word} เลขที่สมาชิก เช่น {word} 12 ค่ะ",
    "err_benefit": "ประเภท: คลอด ป่วย สูงอายุ ทำศพ พิการ ทุน ภัย อื่น เช่น {word} 12 ป่วย 3",
    "err_amount": "ใส่จำนวนเป็นบาทเต็ม เช่น 30 แล้วส่งใหม่ค่ะ",
    "err_amount_max": "รับได้ครั้งละไม่เกิน {max} บ. (1 ปี) ส่งใหม่ค่ะ",
    "err_member": "ไม่พบสมาชิก {who} ในกองทุน ส่งเลขที่สมาชิกหรือเบอร์โทรค่ะ",
    "err_not_collector": "{who} ไม่ใช่ผู้เก็บเงินของกองทุนนี้",
    "err_left": "{name} ({number}) พ้นสภาพสมาชิกแล้ว รับสัจจะไม่ได้",
    "err_ref": "ไม่พบรายการ #{ref} ของท่าน ตรวจเลขรายการแล้วส่งใหม่ค่ะ",
    "err_done": "รายการ #{ref} ทำไปแล้ว ไม่มีอะไรเปลี่ยน",
    "err_done_confirmed": "รายการ #{ref} ยืนยันไปแล้ว ไม่มีอะไรเปลี่ยนค่ะ",
    "err_done_rejected": "รายการ #{ref} ไม่ยืนยันไปแล้ว ไม่มีอะไรเปลี่ยนค่ะ",
    "err_done_withdrawn": "สมาชิกยกเลิก #{ref} ไปแล้ว ไม่มีอะไรเปลี่ยนค่ะ",
    "err_undo_day": "ยกเลิกได้เฉพาะรายการของท่านที่ทำวันนี้",
    "err_undo_cash": "ยกเลิก #{ref} ไม่ได้ ส่งมอบเหรัญญิกไปแล้ว",
    "err_undo_declared": "#{ref} สมาชิกแจ้งและยืนยันแล้ว ยกเลิกได้เฉพาะกรรมการ",
    "err_cash": "{name} มีเงินในมือ {cash} บ. ไม่พอ {amount} บ.",
    "err_collector_only": "คำสั่งนี้ใช้ได้เฉพาะผู้เก็บเงินค่ะ",
    "err_summary_only": "คำสั่งนี้ใช้ได้เฉพาะผู้เก็บเงิน เหรัญญิก และประธานค่ะ",
    "err_pinreset_only": "คำสั่งนี้ใช้ได้เฉพาะเหรัญญิก ประธาน และเลขานุการค่ะ",
    "err_pay_not_handover": '"รับ" เฉพาะผู้เก็บเงิน เหรัญญิกส่ง "รับมอบ {who} {baht}" ค่ะ',
    "err_treasurer_only": "คำสั่งนี้ใช้ได้เฉพาะเหรัญญิกค่ะ",
    "err_internal": "ขออภัย ระบบขัดข้อง โปรดส่งใหม่อีกครั้งค่ะ",
    # welfare: the benefits by their kind names (docs/THAI.md)
    "benefit_birth": "ค่าคลอดบุตร",
    "benefit_hospital": "ค่านอนโรงพยาบาล",
    "benefit_elderly": "เงินผู้สูงอายุ",
    "benefit_funeral": "ค่าทำศพ",
    "benefit_disability": "เงินช่วยคนพิการ",
    "benefit_education": "ทุนการศึกษา",
    "benefit_disaster": "เงินช่วยภัยพิบัติ",
    "benefit_other": "สวัสดิการอื่น",
    # what a benefit is counted in (claim_units, claim_year_cap)
    "unit_event": "ครั้ง",
    "unit_night": "คืน",
    "unit_month": "เดือน",
    "claim_ok": "ยื่นขอ{benefit} ให้ {name} {amount} บ. #{ref} รออนุมัติ",
    "claim_to_decide": "ขอ{benefit} ให้ {name} ({number}) {amount} บ. "
    'ตอบ "อนุมัติ {ref}" หรือ "ไม่อนุมัติ {ref} เหตุผล"',
    "approve_ok": "อนุมัติ #{ref} กองทุนมอบ {amount} บ. แก่ {name} แล้ว",
    "reject_ok": "ไม่อนุมัติ #{ref} แล้ว แจ้งผู้ยื่นแล้วค่ะ",
    "welfare_paid": "{group}: มอบ{benefit} {amount} บ. แก่ {name} แล้ว #{ref} ค่ะ",
    # a funeral benefit goes to the beneficiary, with condolence (two parts at most)
    "welfare_paid_funeral": "{group} ขอแสดงความเสียใจต่อการจากไปของ {name} "
    "กองทุนมอบค่าทำศพ {amount} บ. แก่ท่านแล้ว #{ref} ค่ะ",
    "claim_rejected": "คำขอ #{ref} ไม่ได้รับอนุมัติ: {reason} ค่ะ",
    "claim_count": "บอกจำนวนคืนด้วยค่ะ เช่น เบิก 12 ป่วย 3",
    "claim_future": "วันที่เกิดเหตุยังไม่ถึง ตรวจวันที่แล้วส่งใหม่ค่ะ",
    "claim_before_joining": "เกิดเหตุก่อนเป็นสมาชิก ยังไม่มีสิทธิ์ค่ะ",
    "claim_late": "ต้องยื่นขอภายใน {days} วันหลังเกิดเหตุ เกินกำหนดแล้วค่ะ",
    "claim_waiting_event": "เกิดเหตุก่อนมีสิทธิ์ {days} วัน เบิกไม่ได้ค่ะ",
    "claim_death_date": "บอกวันที่เสียชีวิตด้วยค่ะ เช่น เบิก 12 ทำศพ 5/11/69",
    "claim_documents": "ยังขาดเอกสาร: {documents} รับครบก่อนจึงอนุมัติได้ค่ะ",
    "claim_ok_documents": "ยื่นแล้ว {amount} บ. #{ref} ขาด {documents}",
    "claim_document_unknown": "ไม่มี {document} ในเอกสารของสวัสดิการนี้",
    "err_date": "วันที่ไม่ถูกต้อง ส่งแบบ วัน/เดือน/ปี เช่น 5/11/69 ค่ะ",
    "claim_no_benefit": "กองทุนนี้ยังไม่มีสวัสดิการประเภทนี้",
    "claim_not_active": "ผู้นี้พ้นสภาพสมาชิกแล้ว ไม่มีสิทธิ์ค่ะ",
    "claim_waiting": "ยังอยู่ในระยะรอสิทธิ์ อีก {days} วันจึงมีสิทธิ์ค่ะ",
    "claim_behind": "ค้างส่งสัจจะ {days} วัน ส่งให้ครบก่อนจึงเบิกได้ค่ะ",
    "claim_no_birth_date": "ไม่มีวันเกิดในทะเบียน แจ้งเหรัญญิกเพิ่มก่อนค่ะ",
    "claim_age": "อายุ {age} ปี ไม่ตรงเงื่อนไขสวัสดิการนี้",
    "claim_units": "คำขอละไม่เกิน {most} {unit} ค่ะ",
    "claim_year_cap": "ปีนี้เบิกประเภทนี้ได้อีก {left} {unit} เท่านั้นค่ะ",
    "claim_decided": "คำขอ #{ref} ตัดสินไปแล้ว",
    "claim_own": "อนุมัติคำขอที่ตัวเองยื่นไม่ได้ ให้กรรมการอีกคนค่ะ",
    "claim_reason": 'ส่งแบบนี้: "ไม่อนุมัติ เลขรายการ เหตุผล"',
    "claim_bank": "เงินในบัญชีกองทุนมี {bank} บ. ไม่พอมอบ",
    "err_usage_claim": "ส่ง {word} เลขที่ ประเภท จำนวน วันที่ เช่น {word} 12 ป่วย 3 5/11/69",
    "err_usage_decide": 'ส่งแบบนี้: "อนุมัติ เลขรายการ" หรือ "ไม่อนุมัติ เลขรายการ เหตุผล"',
    "err_committee_only": "คำสั่งนี้ใช้ได้เฉพาะกรรมการกองทุนค่ะ",
    # who may do what (models/offices.py)
    "claim_not_officer": "ยื่นคำขอได้เฉพาะกรรมการหรือผู้เก็บเงินค่ะ",
    "claim_not_committee": "ตัดสินคำขอได้เฉพาะกรรมการกองทุนค่ะ",
    "claim_for_self": "คำขอนี้เป็นของท่านเอง ให้กรรมการคนอื่นตัดสินค่ะ",
    "claim_second_same": "ท่านอนุมัติ #{ref} แล้ว ต้องให้กรรมการอีกคนอนุมัติค่ะ",
    "claim_first_approval": "อนุมัติ #{ref} {amount} บ. แล้ว รอกรรมการอีกคนอนุมัติค่ะ",
    "claim_second_needed": 'ขอ{benefit} {name} {amount} บ. รออนุมัติอีก 1 คน ตอบ "อนุมัติ {ref}"',
    "claim_paid_filer": "{benefit} {name} #{ref} อนุมัติแล้ว มอบ {amount} บ. ค่ะ",
    "claim_not_reverser": "ยกเลิกการมอบได้เฉพาะประธานหรือเหรัญญิกค่ะ",
    "restore_not_committee": "คืนรายการได้เฉพาะกรรมการกองทุนค่ะ",
    "err_officials_only": "คำสั่งนี้ใช้ได้เฉพาะผู้เก็บเงินและกรรมการค่ะ",
    "help_committee": '"เบิก เลขที่ ประเภท" "อนุมัติ เลขรายการ" "ไม่อนุมัติ เลขรายการ เหตุผล" "ยอด เลขที่"',
    # households sharing a phone
    "bal_household": "ยอดสัจจะของ {count} คนในเบอร์นี้ค่ะ\n{lines}",
    "bal_household_line": "{number} {name} {total} บ. ส่งถึง {date}",
    "bal_household_more": 'อีก {more} คน ส่ง "ยอด เลขที่" ค่ะ',
    "err_phone_several": "เบอร์ {who} มีหลายคน ใช้เลขที่สมาชิกแทน: {listed}",
    # corrections by the committee (dashboard and command line)
    "claim_reversed": "{group}: ขออภัย {benefit} {amount} บ. #{ref} บันทึกผิด "
    "กองทุนยกเลิกรายการแล้ว สงสัยถามกรรมการค่ะ",
    "claim_not_found": "ไม่พบคำขอ #{ref} ในกองทุนนี้",
    "claim_not_paid": "คำขอ #{ref} ยังไม่ได้มอบ จึงยกเลิกไม่ได้",
    "claim_reversal_reason": "บอกเหตุผลที่ยกเลิกการมอบด้วยค่ะ",
    "receipt_restored": "แก้ที่ยกเลิกผิดแล้ว สัจจะ #{ref} {amount} บ. ส่งถึง {date} ค่ะ",
    "receipt_restored_collector": "กรรมการคืน #{ref} {amount} บ. ของ {name} เป็นเงินในมือแล้ว",
    "restore_not_found": "ไม่พบรายการ #{ref} ในกองทุนนี้",
    "restore_not_reversed": "รายการ #{ref} ไม่ได้ถูกยกเลิก จึงไม่มีอะไรต้องคืน",
    "restore_reason": "บอกเหตุผลที่คืนรายการด้วยค่ะ",
    # nightly and scheduled (summaries may take two parts)
    "recon_collector": "สรุป {date}: รับ {count} ราย {amount} บ. "
    "เงินในมือ {cash} บ. รอยืนยัน {pending} ราย",
    "recon_treasurer": "สรุป {date}: รับ {count} ราย {amount} บ. ส่งมอบ {handed} บ. "
    "เรื่องต้องดู: รอยืนยัน {declared} ทักท้วง {disputed} เงินค้างมือ {held} ส่งขาด {short}",
    "ledger_alarm": "ด่วน: ยอดบัญชีกองทุน {date} ไม่ตรงกัน โปรดแจ้งผู้ดูแลระบบทันที",
    "stmt": "ปี {year} สัจจะ {given} บ. ส่งถึง {date} กองทุนมอบ {received} บ. ค่ะ",
    "entrance_fee_receipt": "{group}: รับค่าสมัคร {amount} บ. #{ref} ยินดีต้อนรับค่ะ",
    "lapse_warning": "{group}: ค้างส่ง {owed} บ. อีก {left} วันจะพ้นสภาพสมาชิกค่ะ",
    "reminder": "{group}: ค้างส่ง {owed} บ. ({days} วัน) ส่งผู้เก็บเงินค่ะ",
    "meeting": "สรุป {since} ถึง {until}: สมาชิก {members} คน เก็บได้ {amount} บ. "
    "ค้างส่ง {arrears} คน เงินกองทุน {fund} บ. เรื่องค้าง {open}",
    "aging": 'รอยืนยัน {count} ราย นานสุด {days} วัน ตอบ "ตกลง {ref}"/"ไม่ {ref}"',
    # the network coordinator, on the learning day (issue 22)
    "learning_day": "วันเรียนรู้ {date} ดูตาราง {count} กองทุนที่แดชบอร์ด > วันเรียนรู้",
}

EN = {
    "pay_ok": "Received {amount} baht from {name} (no. {number}). Ref #{ref}",
    "ok_ok": "Confirmed {amount} baht from {name} (no. {number}). Ref #{ref}",
    "no_ok": "Rejected #{ref}: {amount} baht from {name}",
    "undo_ok": "Undone #{ref}: {amount} baht from {name}",
    "sum": "Today: {count:payment/payments}, {amount} baht. Cash in hand {cash} baht. "
    "Waiting for OK: {pending}",
    "handed_over": "You handed {amount} baht to the treasurer. Ref #{ref}. "
    "Still in hand {cash} baht",
    "declared": "{name} (no. {number}) says they paid you {amount} baht. "
    "Reply OK {ref} or NO {ref}",
    "pay_twice": "Already recorded #{ref}: {amount} baht from no. {number}. "
    "If this is a second payment, send PAY {number} {baht} AGAIN",
    "rcv_twice": "Already recorded #{ref}: {amount} baht from collector no. {number}. "
    "If this is a second hand-over, send RCV {number} {baht} AGAIN",
    "withdrawn": "{name} (no. {number}) withdrew #{ref} ({amount} baht). No reply needed",
    "reversed_collector": "The committee ({by}) reversed #{ref}: {amount} baht from {name}",
    "receipt": "Your fund received {amount} baht. Paid through {date}. Ref #{ref}. Thank you",
    "rejected": "Your collector did not confirm #{ref} ({amount} baht). Please ask your collector",
    "undone": "Payment #{ref} of {amount} baht was cancelled. Paid through {date}",
    "bal_self": "You have given {total} baht, paid through {date}. {state}",
    "disputed": "We noted your dispute of #{ref}. The committee will contact you",
    "withdraw_ok": "Withdrawn #{ref} ({amount} baht)",
    "reversed_member": "The committee ({by}) reversed #{ref} of {amount} baht. "
    "If you disagree, send NO {ref}",
    "pin_was_reset": "Your PIN was reset. Dial {ussd} to set a new one",
    "privacy": "Your fund uses your data only for its welfare work. To see or correct it, "
    "or read the privacy notice: {contact}",
    "privacy_committee": "Your fund uses your data only for its welfare work. To see or "
    "correct it, or read the privacy notice, ask your fund committee",
    "stopped": "Reminders stopped. Receipts still come. Send START to get reminders again",
    "started": "Reminders are back on",
    "rcv_ok": "Received {amount} baht from collector {name} (no. {number}). Ref #{ref}. "
    "Still in hand {cash} baht",
    "bal_other": "{name} (no. {number}) has given {total} baht, paid through {date}. {state}",
    "pinreset_ok": "PIN reset for {name} (no. {number})",
    "sum_group": "Today: {count:payment/payments}, {taken} baht. With collectors {cash} baht. "
    "To check: {open}",
    "dispute_alert": "{name} (no. {number}) disputes #{ref} ({amount} baht). See 'to check'",
    "behind": "{days:day/days} behind",
    "ahead": "{days:day/days} ahead",
    "even": "Up to date",
    "help_member": "BAL = your balance, STMT = this year's totals, "
    "NO <ref> = dispute a receipt or withdraw a payment "
    "you recorded, "
    "STOP = no reminders. Or dial {ussd}",
    "help_collector": "PAY <member no.> <baht> (a second one: PAY <member no.> <baht> AGAIN), "
    "OK <ref>, NO <ref>, UNDO <ref>, SUM, BAL <member no.>",
    "help_treasurer": "RCV <collector no.> <baht>, SUM, PINRESET <member no.>, BAL <member no.>, "
    "CLAIM <member no.> <type>, APPROVE <ref>, REJECT <ref> <reason>",
    "err_unknown": "Sorry, we did not understand. Send HELP for the commands",
    "err_usage_pay": "Send: PAY <member no.> <baht>, e.g. PAY 12 30 "
    "(a second one: PAY 12 30 AGAIN)",
    "err_usage_rcv": "Send: RCV <collector no.> <baht>, e.g. RCV 3 500",
    "err_usage_ref": "Send: {verb} <ref>, e.g. {verb} 12340",
    "err_usage_no": "Send: NO <ref>, or NO <ref> <reason>, e.g. NO 12340 not paid",
    "err_usage_pinreset": "Send: PINRESET <member no.>, e.g. PINRESET 12",
    "err_usage_bal": "Send: BAL, or BAL <member no.>, e.g. BAL 12",
    "err_benefit": "Types: birth, hospital, elderly, funeral, disability, education, disaster, "
    "other. E.g. CLAIM 12 hospital 3",
    "err_amount": "The amount must be whole baht, e.g. 30. Please send again",
    "err_amount_max": "At most {max} baht at a time (one year). Please send again",
    "err_member": "No member {who} in your fund. Send a member no. or phone number",
    "err_not_collector": "{who} is not a collector of your fund",
    "err_left": "{name} (no. {number}) has left the fund; no payments can be taken",
    "err_ref": "No entry #{ref} of yours. Check the ref and send again",
    "err_done": "#{ref} was already done; nothing changed",
    "err_done_confirmed": "#{ref} was confirmed already; nothing changed",
    "err_done_rejected": "#{ref} was rejected already; nothing changed",
    "err_done_withdrawn": "The member withdrew #{ref}; nothing changed",
    "err_undo_day": "You can only undo your own entries of today",
    "err_undo_cash": "Cannot undo #{ref}: the cash was already handed over",
    "err_undo_declared": "#{ref} was declared by the member and confirmed: "
    "only the committee can reverse it",
    "err_cash": "{name} holds {cash} baht, not enough for {amount}",
    "err_collector_only": "Only collectors can send this command",
    "err_summary_only": "Only collectors, the treasurer and the chair can send this command",
    "err_pinreset_only": "Only the treasurer, the chair and the secretary can send this command",
    "err_pay_not_handover": "PAY is for collectors. For cash handed over by a collector, "
    "send RCV {who} {baht}",
    "err_treasurer_only": "Only the treasurer can send this command",
    "err_internal": "Sorry, something went wrong. Please send again",
    "benefit_birth": "birth",
    "benefit_hospital": "hospital",
    "benefit_elderly": "elderly",
    "benefit_funeral": "funeral",
    "benefit_disability": "disability",
    "benefit_education": "education",
    "benefit_disaster": "disaster",
    "benefit_other": "other",
    "unit_event": "time/times",
    "unit_night": "night/nights",
    "unit_month": "month/months",
    "claim_ok": "Claim filed: {benefit}, {name} (no. {number}) {amount} baht. Ref #{ref}. "
    "Another member must approve",
    "claim_to_decide": "Claim: {benefit}, {name} (no. {number}) {amount} baht. "
    "Reply APPROVE {ref} or REJECT {ref} <reason>",
    "approve_ok": "Approved #{ref}: {amount} baht paid to {name} from the fund",
    "reject_ok": "Rejected #{ref}; the filer is told",
    "welfare_paid": "{group}: {benefit} benefit of {amount} baht given for {name}. Ref #{ref}",
    "welfare_paid_funeral": "{group}: our deepest sympathy. The fund has given you {amount} "
    "baht for the funeral of {name}. Ref #{ref}",
    "claim_rejected": "Claim #{ref} rejected: {reason}",
    "claim_count": "Say how many nights, e.g. CLAIM 12 hospital 3",
    "claim_future": "The event date is still to come: check it and send again",
    "claim_before_joining": "The event was before the member joined: no benefit",
    "claim_late": "Claims must be filed within {days:day/days} of the event: too late",
    "claim_waiting_event": "The event came {days:day/days} before the waiting period ended: "
    "no benefit",
    "claim_death_date": "Give the date of death, e.g. CLAIM 12 funeral 5/11/2026",
    "claim_documents": "Missing: {documents}. Mark them received first",
    "claim_ok_documents": "#{ref} filed {amount} baht, needs {documents}",
    "claim_document_unknown": "Unknown document: {document}",
    "err_date": "Write the date as day/month/year, e.g. 5/11/2026",
    "claim_no_benefit": "This fund has no benefit of that type",
    "claim_not_active": "Not an active member: no benefit can be claimed",
    "claim_waiting": "The waiting period is not over: {days:more day/more days}",
    "claim_behind": "{days:day/days} behind: pay up first, then claim",
    "claim_no_birth_date": "No birth date on record: ask the treasurer to add it",
    "claim_age": "Age {age} does not fit this benefit",
    "claim_units": "At most {most:{unit}} per claim",
    "claim_year_cap": "Only {left:{unit}} more of this benefit this year",
    "claim_decided": "Claim #{ref} was already decided",
    "claim_own": "You cannot approve your own claim; ask another member",
    "claim_reason": "Send: REJECT <ref> <reason>",
    "claim_bank": "The fund's bank holds {bank} baht: not enough",
    "err_usage_claim": "Send: CLAIM <member no.> <type> [nights] [date], "
    "e.g. CLAIM 12 hospital 3 5/11/2026",
    "err_usage_decide": "Send: APPROVE <ref>, or REJECT <ref> <reason>",
    "err_committee_only": "Only committee members can send this command",
    # who may do what (models/offices.py)
    "claim_not_officer": "Only the fund's officers can file a claim",
    "claim_not_committee": "Only committee members can decide a claim",
    "claim_for_self": "This claim is for you: another committee member must decide it",
    "claim_second_same": "You approved #{ref} already: another committee member must too",
    "claim_first_approval": "Approved #{ref} ({amount} baht): one more committee member must "
    "approve",
    "claim_second_needed": "Claim #{ref} ({benefit}, {name}, {amount} baht) needs one more "
    "approval: APPROVE {ref}",
    "claim_paid_filer": "Claim #{ref} approved: {benefit} for {name}, {amount} baht given",
    "claim_not_reverser": "Only the chair or the treasurer can reverse a payment",
    "restore_not_committee": "Only committee members can restore a receipt",
    "err_officials_only": "Only collectors and committee members can send this command",
    "help_committee": "CLAIM <member no.> <type>, APPROVE <ref>, REJECT <ref> <reason>, "
    "BAL <member no.>",
    # households sharing a phone
    "bal_household": "Given to the fund, {count} members on this phone:\n{lines}",
    "bal_household_line": "{number} {name} {total} baht, through {date}",
    "bal_household_more": "{more} more: send BAL <member no.>",
    "err_phone_several": "{who} is shared by several members; use a member number: {listed}",
    # corrections by the committee (dashboard and command line)
    "claim_reversed": "{group}: we are sorry, the {benefit} benefit of {amount} baht "
    "(ref #{ref}) was recorded by mistake and is cancelled",
    "claim_not_found": "No claim #{ref} in this fund",
    "claim_not_paid": "Claim #{ref} has not been paid: there is nothing to reverse",
    "claim_reversal_reason": "Give the reason for reversing the payment",
    "receipt_restored": "Your fund restored payment #{ref} of {amount} baht, cancelled by "
    "mistake. Paid through {date}",
    "receipt_restored_collector": "The committee restored #{ref}, {amount} baht from {name}: "
    "it counts in your cash in hand again",
    "restore_not_found": "No payment #{ref} in this fund",
    "restore_not_reversed": "Payment #{ref} was not cancelled: there is nothing to restore",
    "restore_reason": "Give the reason for restoring the payment",
    "recon_collector": "Day {date}: {count:payment/payments}, {amount} baht. "
    "Cash in hand {cash} baht. Waiting for OK: {pending}",
    "recon_treasurer": "Day {date}: {count:payment/payments}, {amount} baht; "
    "handed over {handed} baht. To check: {declared} unconfirmed, {disputed} disputed, "
    "{held} cash held, {short} short",
    "ledger_alarm": "URGENT: the fund's books for {date} do not agree. Please call your "
    "Satja operator now",
    "stmt": "Passbook {year}: gave {given} baht, paid through {date}; welfare received "
    "{received} baht",
    "entrance_fee_receipt": "{group}: entrance fee {amount} baht received, ref #{ref}. Welcome",
    "lapse_warning": "{group}: {owed} baht owed. Your membership lapses in {left:day/days} "
    "unless it is paid",
    "reminder": "{group}: {owed} baht owed ({days:day/days} behind). "
    "You can hand it to your collector",
    "meeting": "{since} to {until}: {members:member/members}, {amount} baht collected, "
    "{arrears} in arrears, fund {fund} baht, {open:open issue/open issues}",
    "aging": "{count:payment waits/payments wait} for your OK, oldest {days:day/days}, "
    "e.g. #{ref}. Reply OK or NO with the ref",
    # the network coordinator, on the learning day (issue 22)
    "learning_day": "Learning day {date}: the table of {count:fund/funds} is on the dashboard, "
    "Learning day",
}

CATALOGUES = {"th": TH, "en": EN}

# For people we do not know we cannot pick a language, so both, in two parts at most.
# To a phone that sent more SMS in a minute than a person can type; said once a minute.
TOO_MANY_SMS = "ส่งถี่ไป รอ 1 นาทีแล้วส่งใหม่ค่ะ / Too many: wait 1 minute"
MEMBERSHIP_ENDED = (
    "สมาชิกเบอร์นี้พ้นสภาพแล้ว ติดต่อกรรมการกองทุนค่ะ / "
    "This membership has ended. Please ask your fund committee"
)
UNKNOWN_SENDER = (
    "เบอร์นี้ยังไม่ได้ลงทะเบียน ติดต่อกรรมการกองทุนค่ะ / "
    "This number is not registered. Please ask your fund committee"
)


class _Counting(string.Formatter):
    """str.format, plus `{days:day/days}`: the number with its noun, singular for 1."""

    def format_field(self, value: object, format_spec: str) -> str:
        if "/" not in format_spec:
            return super().format_field(value, format_spec)
        one, many = format_spec.split("/", 1)
        number = str(value).replace(",", "")
        return f"{value} {one if number in ('1', '-1') else many}"


_COUNTING = _Counting()


@functools.lru_cache(maxsize=1024)  # the catalogues' templates: a few hundred
def _counts(template: str) -> bool:
    """Whether a template has a `{n:day/days}` field, or a spec filled in (`{n:{unit}}`)."""
    return any(
        spec and ("/" in spec or "{" in spec) for *_, spec, _conv in _COUNTING.parse(template)
    )


def fill(template: str, **values: object) -> str:
    """Fill a catalogue template: `{name}` as str.format, `{n:day/days}` with its noun."""
    # str.format is C; string.Formatter walks the template in Python, five times slower
    # on the hop that renders a declaration's two SMS (bench/RESULTS.md).
    if _counts(template):
        return _COUNTING.format(template, **values)
    return template.format(**values)


def render(lang: str, key: str, **values: object) -> str:
    """Fill a template in the given language (Thai when the language is unknown).

    A `unit` value (event, night, month: a benefit's unit) is written in the language's
    own word for it, so that a count never goes out bare (claim_units).
    """
    catalogue = CATALOGUES.get(lang, TH)
    if isinstance(unit := values.get("unit"), str) and f"unit_{unit}" in catalogue:
        values["unit"] = catalogue[f"unit_{unit}"]
    return fill(catalogue[key], **values)


def pick_standing(catalogue: Mapping[str, str], days_behind: int) -> str:
    """'3 days behind', 'up to date' or '30 days ahead', in a catalogue's own words."""
    if days_behind > 0:
        return fill(catalogue["behind"], days=days_behind)
    if days_behind < 0:
        return fill(catalogue["ahead"], days=-days_behind)
    return catalogue["even"]


def standing_text(lang: str, days_behind: int) -> str:
    """Where a member stands, in the SMS words of the given language."""
    return pick_standing(CATALOGUES.get(lang, TH), days_behind)


def privacy_reply(lang: str, contact: str | None) -> str:
    """The PRIVACY reply: the hotline or link from settings, else the committee."""
    if contact:
        return render(lang, "privacy", contact=contact)
    return render(lang, "privacy_committee")


def language_of(text: str) -> str:
    """Thai when the text holds any Thai letter, else English (for senders we do not know)."""
    return "th" if any("\u0e00" <= ch <= "\u0e7f" for ch in text) else "en"
