//! Plausible Chinese names and addresses, drawn deterministically.

use rand::seq::IndexedRandom;
use rand::Rng;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "邓", "冯", "韩", "曹", "曾", "彭",
    "萧", "蔡", "潘", "田",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超",
    "秀英", "华", "平", "刚", "桂英", "建国", "建华", "志强", "海燕", "玉兰", "春梅", "国庆",
    "小红", "文", "斌", "婷", "宇", "浩", "欣", "佳", "子涵", "梓萱", "俊杰", "淑珍", "凤英",
    "德明", "金花", "永福",
];
const PLACE_PARTS: &[&str] = &[
    "石", "岩", "龙", "凤", "塘", "坑", "坪", "岭", "湖", "溪", "田", "沙", "竹", "桥", "梅", "松",
    "横", "新", "大", "小", "东", "西", "南", "北", "上", "下", "黄", "白", "青", "金", "水", "山",
];
const ROADS: &[&str] = &["路", "街", "巷", "里", "坊"];
const SHOPS: &[&str] = &[
    "便利店",
    "小卖部",
    "五金店",
    "理发店",
    "粮油店",
    "药店",
    "快餐店",
    "副食店",
];
const WORKSHOPS: &[&str] = &[
    "五金加工厂",
    "木材加工点",
    "服装作坊",
    "塑料制品作坊",
    "汽修店",
];
const ENTERPRISES: &[&str] = &[
    "电子有限公司",
    "建材有限公司",
    "物流有限公司",
    "食品有限公司",
];

pub fn person<R: Rng>(rng: &mut R) -> String {
    format!("{}{}", pick(rng, SURNAMES), pick(rng, GIVEN))
}

pub fn surname<R: Rng>(rng: &mut R) -> &'static str {
    pick(rng, SURNAMES)
}

pub fn given<R: Rng>(rng: &mut R) -> &'static str {
    pick(rng, GIVEN)
}

/// A two-character place name such as 石岭.
pub fn place<R: Rng>(rng: &mut R) -> String {
    let a = pick(rng, PLACE_PARTS);
    let mut b = pick(rng, PLACE_PARTS);
    while b == a {
        b = pick(rng, PLACE_PARTS);
    }
    format!("{a}{b}")
}

pub fn road<R: Rng>(rng: &mut R) -> String {
    format!("{}{}", place(rng), pick(rng, ROADS))
}

pub fn shop<R: Rng>(rng: &mut R) -> String {
    format!("{}{}", surname(rng), pick(rng, SHOPS))
}

pub fn workshop<R: Rng>(rng: &mut R) -> String {
    format!("{}{}", place(rng), pick(rng, WORKSHOPS))
}

pub fn enterprise<R: Rng>(rng: &mut R) -> String {
    format!("{}{}", place(rng), pick(rng, ENTERPRISES))
}

fn pick<R: Rng>(rng: &mut R, list: &'static [&'static str]) -> &'static str {
    list.choose(rng).copied().unwrap_or("")
}
