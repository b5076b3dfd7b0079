//! E-commerce: users, products (with their vendor and category), carts and orders whose line items
//! reference products. Shopping sessions (browse, add to cart, purchase, abandon) follow the event
//! schedule; a producer publishes the shop in cycles; a storefront consumer answers the queries a shop
//! page makes (a product by id, the products of a category, a user's orders) through primary-key and
//! hash indexes, each timed. The report gives revenue, conversion and session figures, computed from
//! the consumer's data and checked against the shop's own books.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;
use std::time::Duration;

use hollow::{Consumer, KeyValue, ObjectMapper, Producer, ReadState};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::args::{parse_duration, Common};
use crate::fleet::follow;
use crate::latency::{histogram, timed};
use crate::run::{open_store, Result, Run};
use crate::schedule::{drive, Tick};
use crate::Report;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub country: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Vendor {
    pub id: i64,
    pub name: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Product {
    pub id: i64,
    pub name: String,
    pub category: String,
    pub vendor: Vendor,
    pub price_cents: i64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct LineItem {
    pub product_id: i64,
    pub quantity: i32,
    pub price_cents: i64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Cart {
    pub user_id: i64,
    pub items: Vec<LineItem>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Order {
    pub id: i64,
    pub user_id: i64,
    pub items: Vec<LineItem>,
    pub total_cents: i64,
}

const CATEGORIES: [&str; 5] = ["books", "garden", "kitchen", "music", "toys"];
const COUNTRIES: [&str; 4] = ["FR", "JP", "BR", "US"];

/// A shop: users browse, fill carts, buy or walk away.
#[derive(clap::Parser, Debug, Clone)]
#[command(name = "ecommerce")]
pub struct Options {
    #[command(flatten)]
    pub common: Common,
    #[arg(long, default_value_t = 500)]
    pub users: usize,
    #[arg(long, default_value_t = 400)]
    pub products: usize,
    /// Time between producer cycles (default: a fiftieth of the window, at least 20 ms).
    #[arg(long, value_parser = parse_duration)]
    pub cycle_every: Option<Duration>,
}

/// The shop's books: its source of truth, which the producer publishes.
struct Shop {
    users: BTreeMap<i64, User>,
    products: BTreeMap<i64, Product>,
    carts: BTreeMap<i64, Cart>,
    orders: BTreeMap<i64, Order>,
    sessions: u64,
    purchases: u64,
    abandons: u64,
}

impl Shop {
    fn new(options: &Options, rng: &mut StdRng) -> Shop {
        let users = (1..=options.users as i64)
            .map(|id| {
                let country = COUNTRIES[rng.random_range(0..COUNTRIES.len())].to_owned();
                (id, User { id, name: format!("user{id}"), country })
            })
            .collect();
        let products = (1..=options.products as i64)
            .map(|id| {
                let vendor = rng.random_range(1..=20);
                let product = Product {
                    id,
                    name: format!("product {id}"),
                    category: CATEGORIES[rng.random_range(0..CATEGORIES.len())].to_owned(),
                    vendor: Vendor { id: vendor, name: format!("vendor {vendor}") },
                    price_cents: rng.random_range(100..20_000),
                };
                (id, product)
            })
            .collect();
        Shop {
            users,
            products,
            carts: BTreeMap::new(),
            orders: BTreeMap::new(),
            sessions: 0,
            purchases: 0,
            abandons: 0,
        }
    }

    /// One step of some user's session: add to the cart (a session starts with its first item), buy
    /// what the cart holds, or abandon it.
    fn step(&mut self, rng: &mut StdRng) {
        let user_id = rng.random_range(1..=self.users.len() as i64);
        let roll: f64 = rng.random();
        match self.carts.get(&user_id) {
            Some(cart) if roll < 0.25 => {
                let items = cart.items.clone();
                let id = self.orders.len() as i64 + 1;
                let total_cents = items.iter().map(|i| i.price_cents * i64::from(i.quantity)).sum();
                self.orders.insert(id, Order { id, user_id, items, total_cents });
                self.carts.remove(&user_id);
                self.purchases += 1;
            }
            Some(_) if roll < 0.35 => {
                self.carts.remove(&user_id);
                self.abandons += 1;
            }
            _ => {
                let product = &self.products[&rng.random_range(1..=self.products.len() as i64)];
                let item = LineItem {
                    product_id: product.id,
                    quantity: rng.random_range(1..4),
                    price_cents: product.price_cents,
                };
                let cart = self.carts.entry(user_id).or_insert_with(|| Cart { user_id, items: Vec::new() });
                if cart.items.is_empty() {
                    self.sessions += 1;
                }
                cart.items.push(item);
            }
        }
    }

    fn publish(&self, ws: &mut hollow::WriteState<'_>) -> hollow::Result<()> {
        self.users.values().try_for_each(|u| ws.add(u).map(drop))?;
        self.products.values().try_for_each(|p| ws.add(p).map(drop))?;
        self.carts.values().try_for_each(|c| ws.add(c).map(drop))?;
        self.orders.values().try_for_each(|o| ws.add(o).map(drop))
    }

    fn records(&self) -> usize {
        self.users.len() + self.products.len() + self.carts.len() + self.orders.len()
    }
}

/// The producer, with every type registered up front: a type no record was added to yet (no order
/// in the first cycle) is still in the published state, so consumers can index it from the start.
fn producer_on(store: &Arc<dyn hollow::store::BlobStore>) -> Result<Producer> {
    let mut mapper = ObjectMapper::new()
        .primary_key("User", ["id"])
        .primary_key("Product", ["id"])
        .primary_key("Cart", ["user_id"])
        .primary_key("Order", ["id"]);
    mapper.derive::<User>()?;
    mapper.derive::<Product>()?;
    mapper.derive::<Cart>()?;
    mapper.derive::<Order>()?;
    let schemas = mapper.schemas().to_vec();
    Ok(Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_schemas(schemas)
        .with_object_mapper(mapper)
        .build()?)
}

/// The queries of a shop page, on the version the storefront holds: the product, its category's
/// products, and the user's orders. Returns how many records they found.
fn storefront_page(state: &ReadState, product_id: i64, user_id: i64) -> Result<usize> {
    let product = state.get_as::<Product>(product_id)?.ok_or("a product is missing")?;
    let by_category = state.hash_index("Product", &["category.value"])?;
    let same_category = by_category.find(state.engine(), &[KeyValue::from(product.category.as_str())]).iter().count();
    let by_user = state.hash_index("Order", &["user_id"])?;
    let orders = state.records::<Order>()?;
    let mut found = 1 + same_category;
    for ordinal in by_user.find(state.engine(), &[KeyValue::from(user_id)]).iter() {
        found += usize::from(orders.by_ordinal(ordinal)?.user_id == user_id);
    }
    Ok(found)
}

pub fn run(options: &Options) -> Result<Report> {
    let common = &options.common;
    let (store, url, _temp_dir) = open_store(common)?;
    let run = Run::new("ecommerce", common);
    let cycle_every = options.cycle_every.unwrap_or((common.window() / 50).max(Duration::from_millis(20)));
    let mut rng = StdRng::seed_from_u64(common.seed);
    let mut shop = Shop::new(options, &mut rng);

    let mut producer = producer_on(&store)?;
    let version = producer.run_cycle(|ws| shop.publish(ws))?;
    run.cycle_done(Some((version, shop.records())));
    let storefront = Consumer::builder(store.clone())
        .with_announcement_watcher(store.clone())
        .with_primary_key_index("Product")
        .with_hash_index("Product", &["category.value"])
        .with_hash_index("Order", &["user_id"])
        .build();
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicU64::new(0));
    let follower = follow("storefront".into(), storefront.clone(), run.clone(), stop.clone(), failures, |_| {});

    let mut pages = histogram();
    let mut query_errors = 0u64;
    drive(&run.schedule.clone(), cycle_every, |tick| {
        match tick {
            Tick::Event(_) => {
                shop.step(&mut rng);
                if let Some(state) = storefront.read_state() {
                    let (product, user) =
                        (rng.random_range(1..=options.products as i64), rng.random_range(1..=options.users as i64));
                    query_errors += u64::from(timed(&mut pages, || storefront_page(&state, product, user)).is_err());
                }
                run.latency.hand_over(&mut pages);
                run.event_done();
            }
            Tick::Cycle => {
                let before = producer.current_version();
                let v = producer.run_cycle(|ws| shop.publish(ws))?;
                run.cycle_done((Some(v) != before).then_some((v, shop.records())));
            }
        }
        Ok::<(), crate::run::Error>(())
    })?;
    let final_version = producer.current_version().ok_or("nothing published")?;
    stop.store(true, std::sync::atomic::Ordering::Release);
    follower.join().map_err(|_| "the storefront thread panicked")?;

    // The business report, from the storefront's data.
    let state = storefront.read_state().ok_or("the storefront has no state")?;
    let orders: Vec<Order> = state.iter::<Order>()?.collect::<hollow::Result<_>>()?;
    let products = state.index::<Product>()?;
    let mut revenue_by_category: BTreeMap<String, i64> = BTreeMap::new();
    let mut dangling = 0;
    for item in orders.iter().flat_map(|o| &o.items) {
        match products.get(item.product_id)? {
            Some(p) => {
                *revenue_by_category.entry(p.category).or_default() += item.price_cents * i64::from(item.quantity)
            }
            None => dangling += 1,
        }
    }
    let revenue: i64 = orders.iter().map(|o| o.total_cents).sum();
    let books_revenue: i64 = shop.orders.values().map(|o| o.total_cents).sum();
    let decided = shop.purchases + shop.abandons;
    let conversion = if decided == 0 { 0.0 } else { shop.purchases as f64 / decided as f64 };

    let mut report = run.report();
    report.check(
        "the storefront reached the last version",
        state.version() == final_version,
        format!("at {}", state.version()),
    );
    report.check(
        "orders and revenue on the storefront match the shop's books",
        orders.len() == shop.orders.len() && revenue == books_revenue,
        format!(
            "{} orders, {revenue} cents (books: {} orders, {books_revenue} cents)",
            orders.len(),
            shop.orders.len()
        ),
    );
    report.check("every line item references a product", dangling == 0, format!("{dangling} dangling line items"));
    report.check(
        "line items add up to the revenue",
        revenue_by_category.values().sum::<i64>() == revenue,
        format!("{} cents over {} categories", revenue_by_category.values().sum::<i64>(), revenue_by_category.len()),
    );
    report.check("storefront queries answered", query_errors == 0, format!("{query_errors} failed"));
    report.figure("orders", orders.len() as f64);
    report.figure("revenue_cents", revenue as f64);
    report.figure("sessions", shop.sessions as f64);
    report.figure("conversion", conversion);
    report.note(format!(
        "{} sessions: {} purchased, {} abandoned, {} open; conversion {:.1}%",
        shop.sessions,
        shop.purchases,
        shop.abandons,
        shop.carts.len(),
        conversion * 100.0
    ));
    report.note(format!("revenue {:.2} over {} orders", revenue as f64 / 100.0, orders.len()));
    for (category, cents) in &revenue_by_category {
        report.note(format!("  {category:<8} {:>10.2}", *cents as f64 / 100.0));
    }
    report.details.insert("revenue_by_category_cents".into(), serde_json::to_value(&revenue_by_category)?);
    report.details.insert("store".into(), url.into());
    Ok(report)
}
